#ifndef SOPD_CCURLSHIM_H
#define SOPD_CCURLSHIM_H

#include <curl/curl.h>

// Typed, non-variadic wrappers around libcurl's variadic option calls, so that Swift never
// calls a variadic C function (the pattern of swift-corelibs-foundation's _CFURLSessionInterface).

typedef size_t (*sopd_curl_data_callback)(char *data, size_t size, size_t count, void *userdata);

CURLcode sopd_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode sopd_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode sopd_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode sopd_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode sopd_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode sopd_curl_easy_setopt_data_callback(CURL *handle, CURLoption option, sopd_curl_data_callback callback);

CURLcode sopd_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode sopd_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode sopd_curl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

CURLMcode sopd_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value);

#endif
