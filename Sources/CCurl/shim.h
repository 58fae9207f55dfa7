#ifndef SOPD_CCURL_SHIM_H
#define SOPD_CCURL_SHIM_H
#include <curl/curl.h>
#endif
