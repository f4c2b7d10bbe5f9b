/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * http-private.h: the one libcurl exchange that keystone.c (requests of a
 * Keystone session) and placement.c (Placement without a session) share.
 * Not installed, nothing exported.
 */
#ifndef VPMU_HTTP_PRIVATE_H
#define VPMU_HTTP_PRIVATE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* An answer: the HTTP status and the body, NUL-terminated. */
typedef struct {
    long status;
    char *body;
    size_t len;
    size_t cap;
    size_t max;   /* set by http_perform() from the request */
    bool too_big; /* the body went past max: the transfer failed */
} http_answer;

typedef struct {
    const char *method; /* "GET", or sent as CURLOPT_CUSTOMREQUEST */
    const char *url;
    const char *body;           /* sent as application/json; NULL: none */
    const char *token;          /* X-Auth-Token; NULL: none */
    const char *const *headers; /* more header lines, NULL-terminated; NULL: none */
    long connect_ms;            /* cut to timeout_ms */
    long timeout_ms;
    const char *cacert; /* CURLOPT_CAINFO; NULL: libcurl's default */
    bool insecure;      /* no TLS peer or host verification */
    size_t max_body;
    curl_write_callback header_cb; /* each header line, with header_data; NULL: none */
    void *header_data;
} http_request_opts;

/*
 * One exchange on @c, which is reset first (its connection cache is kept).
 * Returns libcurl's code, and @errbuf (CURL_ERROR_SIZE bytes) holds
 * libcurl's message or "".  On CURLE_OK @a has the status and a body ("" when
 * the answer had none); the caller frees a->body either way.
 */
CURLcode http_perform(CURL *c, const http_request_opts *req, char *errbuf, http_answer *a);

#endif /* VPMU_HTTP_PRIVATE_H */
