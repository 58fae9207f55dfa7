import ArgumentParser
import Daemon

extension LogFormat: ExpressibleByArgument {}
