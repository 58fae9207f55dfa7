import Foundation

/// Why the operating system refused a file operation, in its own short words (`Permission denied`,
/// `No such file or directory`), never a Foundation error's dump.
public enum SystemErrorText {
    /// The text of an `errno` value (glibc's messages are constant strings, safe from any thread).
    public static func reason(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// Why `path` cannot be opened for reading as a file, or nil when it can.
    public static func readProblem(path: String) -> String? {
        readError(path: path).map { reason(errno: $0) }
    }

    /// The `errno` of opening `path` for reading as a file (`EISDIR` for a folder), or nil when it can be.
    public static func readError(path: String) -> Int32? {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno }
        if status.st_mode & S_IFMT == S_IFDIR { return EISDIR }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return errno }
        close(descriptor)
        return nil
    }

    /// Why the folder `path` cannot be listed, or nil when it can.
    public static func listProblem(path: String) -> String? {
        guard let folder = opendir(path) else { return reason(errno: errno) }
        closedir(folder)
        return nil
    }

    /// The reason inside a Foundation file error (its POSIX code), else the error's first line.
    public static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return reason(errno: Int32(underlying.code))
        }
        if error.domain == NSPOSIXErrorDomain { return reason(errno: Int32(error.code)) }
        switch CocoaError.Code(rawValue: error.code) {
        case .fileReadNoPermission, .fileWriteNoPermission: return reason(errno: EACCES)
        case .fileReadNoSuchFile, .fileNoSuchFile: return reason(errno: ENOENT)
        case .fileWriteOutOfSpace: return reason(errno: ENOSPC)
        case .fileWriteVolumeReadOnly: return reason(errno: EROFS)
        default: return PeerText.clean(String("\(error.localizedDescription)".prefix(200)))
        }
    }
}
