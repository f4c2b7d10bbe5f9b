/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * http.c: one HTTP exchange over libcurl, as keystone.c and placement.c both
 * make it: the handle's options (protocols, timeouts, no signals, user
 * agent, TLS), the JSON headers, the token header wiped after use, and the
 * body collected up to a cap.  Messages about failures stay with the callers,
 * which know the service and what may be quoted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http-private.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    http_answer *a = userdata;
    size_t n = size * nmemb;

    if (n > a->max - a->len) {
        a->too_big = true;
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    buf_append(&a->body, &a->len, &a->cap, ptr, n);
    return n;
}

CURLcode
http_perform(CURL *c, const http_request_opts *req, char *errbuf, http_answer *a)
{
    _cleanup_(curl_slist_free_allp) struct curl_slist *hdrs = NULL;
    _cleanup_free_ char *auth = NULL;
    CURLcode rc;

    curl_easy_reset(c); /* keeps the connection cache */
    errbuf[0] = '\0';
    a->max = req->max_body;

    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (req->body)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (req->token) {
        auth = xasprintf("X-Auth-Token: %s", req->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    if (!hdrs)
        abort(); /* curl_slist_append fails only on out-of-memory */

    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_ms < req->timeout_ms ? req->connect_ms : req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vpmu/" VPMU_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    if (req->header_cb) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, req->header_cb);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, req->header_data);
    }
    if (req->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, req->cacert);
    if (req->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (STREQ(req->method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(req->body ? strlen(req->body) : 0));
    }

    rc = curl_easy_perform(c);
    /* The handle must not keep pointers to what the caller frees. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    if (auth)
        explicit_bzero(auth, strlen(auth));
    if (rc != CURLE_OK)
        return rc;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    if (!a->body) {
        a->body = xstrdup("");
        a->cap = 1;
    }
    return CURLE_OK;
}
