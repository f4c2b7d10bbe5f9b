/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt adapter.  The only module that calls libvirt: its errors are
 * silenced at the source (virSetErrorFunc) and translated here, once, from
 * virGetLastErrorMessage() into vpmu_error.
 */
#include "config.h"

#include <curl/curl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/domxml.h"
#include "virt-priv.h"
#include "vpmu/virt.h"

struct vpmu_conn {
    virConnectPtr conn;
    char *uri;
    char *shown; /* uri for messages: uri_for_message() */
    char *driver;
    char *caps; /* capabilities XML, fetched on first use */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathContextPtr, xmlXPathFreeContext)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlXPathObjectPtr, xmlXPathFreeObject)

static void
silent_error_func(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

/* The process-wide set-up of the libraries libvpmu-virt uses, each done
 * once (vpmu_virt_init() documents it). */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
init_libvirt(void)
{
    /* Never let libvirt print; vpmu reports each error once. */
    virSetErrorFunc(NULL, silent_error_func);
    (void)virInitialize();
}

static void
init_curl(void)
{
    /* Not thread-safe before libcurl 7.84: hence once, and early.  Apart
     * from libvirt's, because it loads OpenSSL and its configuration, which
     * commands that only talk to libvirt do not need. */
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static int loop_started = -1; /* 0 when the event loop runs */

static void *
event_loop(void *arg)
{
    (void)arg;
    /* -1 only when poll() itself fails: then the loop is over (keepalive stops working). */
    while (virEventRunDefaultImpl() == 0)
        ;
    return NULL;
}

static void
start_event_loop(void)
{
    pthread_attr_t attr;
    pthread_t t;

    if (virEventRegisterDefaultImpl() < 0)
        return;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, event_loop, NULL) == 0)
        loop_started = 0;
    pthread_attr_destroy(&attr);
}

int
vpmu_virt_init(unsigned int flags, vpmu_error **error)
{
    if (flags & ~(VPMU_VIRT_INIT_EVENT_LOOP | VPMU_VIRT_INIT_HTTP)) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "unknown vpmu_virt_init() flags 0x%x", flags);
        return -1;
    }
    pthread_once(&init_once, init_libvirt);
    if (flags & VPMU_VIRT_INIT_HTTP)
        pthread_once(&curl_once, init_curl);
    if ((flags & VPMU_VIRT_INIT_HTTP) && curl_init_rc != CURLE_OK) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot initialise libcurl: %s",
                       curl_easy_strerror(curl_init_rc));
        return -1;
    }
    if (!(flags & VPMU_VIRT_INIT_EVENT_LOOP))
        return 0;
    pthread_once(&loop_once, start_event_loop);
    if (loop_started < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot start the libvirt event loop");
        return -1;
    }
    return 0;
}

static pthread_key_t msg_key;
static pthread_once_t msg_once = PTHREAD_ONCE_INIT;

static void
make_msg_key(void)
{
    (void)pthread_key_create(&msg_key, free);
}

/*
 * libvirt's last error on this thread, through quote_for_message(): a remote
 * daemon's text (or QEMU's stderr in it) reaches messages with no control
 * character.  Valid until the next call on this thread.
 */
static const char *
last_error(void)
{
    const char *m = virGetLastErrorMessage();
    char *q;

    pthread_once(&msg_once, make_msg_key);
    q = quote_for_message(m && *m ? m : "unknown libvirt error", 2000);
    free(pthread_getspecific(msg_key));
    (void)pthread_setspecific(msg_key, q);
    return q;
}

const char *
vpmu_virt_last_error(void)
{
    return last_error();
}

static vpmu_conn *
conn_wrap(virConnectPtr vc, const char *want)
{
    vpmu_conn *c = xcalloc(1, sizeof(*c));
    char *canon;
    const char *type;

    c->conn = vc;
    canon = virConnectGetURI(vc);
    c->uri = xstrdup(canon ? canon : want ? want : "(libvirt's default)");
    c->shown = uri_for_message(c->uri);
    free(canon);
    /* Owned by the connection (remote drivers free it on close): keep a copy. */
    type = virConnectGetType(vc);
    c->driver = xstrdup(type ? type : "unknown");
    return c;
}

/*
 * libvirt's message with the password of @uri (user:PASSWORD@) put as ***:
 * libvirt repeats the URI it could not parse or reach.
 */
static char *
open_error_masked(const char *uri)
{
    const char *msg = last_error(), *auth, *end, *at = NULL, *colon, *p;
    _cleanup_free_ char *needle = NULL;
    char *out;
    size_t nl;

    auth = strstr(uri, "://");
    if (!auth)
        return xstrdup(msg);
    auth += 3;
    end = auth + strcspn(auth, "/?#");
    for (p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon || colon + 1 == at)
        return xstrdup(msg);
    /* The password as libvirt's message shows it: quoted like the rest of the message. */
    _cleanup_free_ char *raw = xstrndup(colon, (size_t)(at + 1 - colon));
    needle = quote_for_message(raw, SIZE_MAX);
    nl = strlen(needle);
    out = xmalloc(strlen(msg) + 1);
    char *o = out;
    for (p = msg; *p;) {
        if (strncmp(p, needle, nl) == 0) {
            o = stpcpy(o, ":***@");
            p += nl;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* The URI is shown without its password, quoted; NULL is libvirt's default. */
static void
conn_open_failed(const char *uri, vpmu_error **error)
{
    _cleanup_free_ char *shown = NULL;
    _cleanup_free_ char *why = NULL;

    if (!uri) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot connect to libvirt's default URI: %s",
                       last_error());
        return;
    }
    why = open_error_masked(uri);
    shown = uri_for_message(uri);
    vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot connect to '%s': %s", shown, why);
}

vpmu_conn *
vpmu_conn_open(const char *uri, vpmu_error **error)
{
    virConnectPtr vc;

    /* NULL: libvirt chooses, as virsh does ($LIBVIRT_DEFAULT_URI, its config, probing). */
    pthread_once(&init_once, init_libvirt);
    vc = virConnectOpen(uri);
    if (!vc) {
        conn_open_failed(uri, error);
        return NULL;
    }
    return conn_wrap(vc, uri);
}

/* libxml2's generic handler, for the calls into libvirt that parse files. */
static void __attribute__((format(printf, 2, 3))) silent_xml_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

vpmu_conn *
vpmu_conn_open_read_only(const char *uri, vpmu_error **error)
{
    xmlGenericErrorFunc saved;
    void *saved_ctx;
    virConnectPtr vc;

    pthread_once(&init_once, init_libvirt);
    /*
     * The test driver parses its node file with libxml2, whose default
     * handler prints ("I/O warning : failed to load external entity") before
     * libvirt reports the error properly; that handler is per thread, so it
     * is silenced here and put back.
     */
    saved = xmlGenericError;
    saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, silent_xml_error);
    vc = virConnectOpenReadOnly(uri);
    xmlSetGenericErrorFunc(saved_ctx, saved);
    if (!vc) {
        conn_open_failed(uri, error);
        return NULL;
    }
    return conn_wrap(vc, uri);
}

int
vpmu_conn_set_keepalive(vpmu_conn *conn, int interval, unsigned int count)
{
    /* -1 (no event loop, or a driver without keepalive) and 1 (peer without it) alike. */
    return virConnectSetKeepAlive(conn->conn, interval, count) == 0 ? 0 : 1;
}

void
vpmu_conn_start_keepalive(vpmu_conn *conn, unsigned int timeout)
{
    int interval = (int)(timeout / 8);

    if (interval < 1)
        interval = 1;
    if (interval > 5)
        interval = 5;
    (void)vpmu_conn_set_keepalive(conn, interval, 3);
}

char *
vpmu_conn_describe_uri(const char *uri)
{
    _cleanup_free_ char *q = NULL;

    if (!uri)
        return xstrdup("libvirt's default URI");
    q = uri_for_message(uri);
    return xasprintf("'%s'", q);
}

/*
 * One vpmu_conn_open_bounded().  Shared by the caller and the thread that
 * opens, each holding a reference; whichever lets go last frees it.  The
 * thread reads nothing outside it, so a caller that gave up can return and
 * free everything of its own while libvirt still blocks.
 */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* done */
    int refs;            /* (lock) */
    bool done;           /* (lock) the open returned: conn or err is set */
    char *uri;           /* a copy; NULL: libvirt's default */
    unsigned int flags;
    unsigned int timeout;
    vpmu_conn *conn; /* (lock) */
    vpmu_error *err; /* (lock) */
} bounded_open;

/* Drop one reference, under bo->lock, which it releases. */
static void
bounded_open_unref_unlock(bounded_open *bo)
{
    bool last = --bo->refs == 0;

    pthread_mutex_unlock(&bo->lock);
    if (!last)
        return;
    vpmu_conn_close(bo->conn);
    vpmu_error_free(bo->err);
    free(bo->uri);
    pthread_cond_destroy(&bo->cond);
    pthread_mutex_destroy(&bo->lock);
    free(bo);
}

static void *
bounded_open_thread(void *arg)
{
    bounded_open *bo = arg;
    vpmu_error *err = NULL;
    vpmu_conn *conn;

    conn = (bo->flags & VPMU_CONN_OPEN_READ_ONLY) ? vpmu_conn_open_read_only(bo->uri, &err)
                                                  : vpmu_conn_open(bo->uri, &err);
    if (conn)
        vpmu_conn_start_keepalive(conn, bo->timeout);
    pthread_mutex_lock(&bo->lock);
    /*
     * When the caller gave up at its deadline, nobody takes them: this
     * reference is then the last, and its release closes and frees them.
     */
    bo->conn = conn;
    bo->err = err;
    bo->done = true;
    pthread_cond_signal(&bo->cond);
    bounded_open_unref_unlock(bo);
    return NULL;
}

vpmu_conn *
vpmu_conn_open_bounded(const char *uri, unsigned int flags, unsigned int timeout_s,
                       vpmu_error **error)
{
    pthread_condattr_t ca;
    pthread_attr_t attr;
    struct timespec deadline;
    bounded_open *bo;
    vpmu_conn *conn = NULL;
    pthread_t t;
    int rc = 0;

    if (flags & ~VPMU_CONN_OPEN_READ_ONLY) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "unknown vpmu_conn_open_bounded() flags 0x%x", flags);
        return NULL;
    }
    if (timeout_s > VPMU_CONN_MAX_TIMEOUT) {
        vpmu_error_set(error, VPMU_ERR_USAGE,
                       "a connection timeout of %u s is over the %u s maximum", timeout_s,
                       VPMU_CONN_MAX_TIMEOUT);
        return NULL;
    }
    if (!timeout_s)
        timeout_s = VPMU_CONN_DEFAULT_TIMEOUT;
    /* Here, not in the thread: the set-up is documented to happen on the caller's. */
    pthread_once(&init_once, init_libvirt);

    bo = xcalloc(1, sizeof(*bo));
    bo->uri = uri ? xstrdup(uri) : NULL;
    bo->flags = flags;
    bo->timeout = timeout_s;
    bo->refs = 2;
    pthread_mutex_init(&bo->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&bo->cond, &ca);
    pthread_condattr_destroy(&ca);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, bounded_open_thread, bo) != 0) {
        _cleanup_free_ char *shown = vpmu_conn_describe_uri(uri);
        pthread_attr_destroy(&attr);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot connect to %s: no thread could be started",
                       shown);
        pthread_mutex_lock(&bo->lock);
        bo->refs--; /* the thread's */
        bounded_open_unref_unlock(bo);
        return NULL;
    }
    pthread_attr_destroy(&attr);

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)timeout_s;
    pthread_mutex_lock(&bo->lock);
    while (!bo->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&bo->cond, &bo->lock, &deadline);
    if (bo->done) {
        conn = TAKE_PTR(bo->conn);
        if (!conn && error && !*error)
            *error = TAKE_PTR(bo->err);
    } else {
        /* Left to finish on its own: its reference, the last, closes what it opens. */
        _cleanup_free_ char *shown = vpmu_conn_describe_uri(uri);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot connect to %s: no answer within %u s",
                       shown, timeout_s);
    }
    bounded_open_unref_unlock(bo);
    return conn;
}

bool
vpmu_conn_is_alive(vpmu_conn *conn)
{
    return virConnectIsAlive(conn->conn) == 1;
}

unsigned long
vpmu_conn_get_hv_version(vpmu_conn *conn)
{
    unsigned long hv = 0;

    if (virConnectGetVersion(conn->conn, &hv) < 0)
        hv = 0;
    return hv;
}

vpmu_virt_fault
vpmu_virt_last_fault(vpmu_conn *conn, char **message)
{
    virErrorPtr e = virGetLastError();

    /* Copied first: the liveness check below resets the last error, as every call does. */
    if (message)
        *message = xstrdup(last_error());
    if (e && e->code == VIR_ERR_NO_DOMAIN)
        return VPMU_VIRT_FAULT_NO_DOMAIN;
    if (conn && virConnectIsAlive(conn->conn) != 1)
        return VPMU_VIRT_FAULT_CONN_LOST;
    return VPMU_VIRT_FAULT_OTHER;
}

struct vpmu_dom {
    virDomainPtr dom;
    int state; /* virDomainState; -1 until known */
    char uuid[VIR_UUID_STRING_BUFLEN];
};

static vpmu_dom *
dom_wrap(virDomainPtr d, int state)
{
    vpmu_dom *dom = xcalloc(1, sizeof(*dom));

    dom->dom = d;
    dom->state = state;
    /* Cached in the handle: no round trip. */
    if (virDomainGetUUIDString(d, dom->uuid) < 0)
        dom->uuid[0] = '\0';
    return dom;
}

int
vpmu_conn_list_domains(vpmu_conn *conn, bool bulk_state, vpmu_dom ***doms)
{
    virDomainStatsRecordPtr *recs = NULL;
    virDomainPtr *list = NULL;
    int n = bulk_state ? virConnectGetAllDomainStats(conn->conn, VIR_DOMAIN_STATS_STATE, &recs, 0)
                       : -1;

    if (n >= 0) {
        /* The handles move out of the records, which are freed at once. */
        *doms = xcalloc((size_t)n + 1, sizeof(**doms));
        for (int i = 0; i < n; i++) {
            int st;
            if (virTypedParamsGetInt(recs[i]->params, recs[i]->nparams, "state.state", &st) != 1)
                st = -1;
            (*doms)[i] = dom_wrap(TAKE_PTR(recs[i]->dom), st);
        }
        virDomainStatsRecordListFree(recs);
        return n;
    }
    n = virConnectListAllDomains(conn->conn, &list, 0);
    if (n < 0)
        return -1;
    *doms = xcalloc((size_t)n + 1, sizeof(**doms));
    for (int i = 0; i < n; i++)
        (*doms)[i] = dom_wrap(list[i], -1);
    free(list);
    return n;
}

const char *
vpmu_dom_get_name(const vpmu_dom *dom)
{
    const char *name = virDomainGetName(dom->dom); /* cached in the handle */
    return name ? name : "";
}

const char *
vpmu_dom_get_uuid(const vpmu_dom *dom)
{
    return dom->uuid[0] ? dom->uuid : NULL;
}

/* virDomainState, as words (libvirt's own spelling, minus blanks). */
static const char *const state_strings[] = {
        [VIR_DOMAIN_NOSTATE] = "nostate",   [VIR_DOMAIN_RUNNING] = "running",
        [VIR_DOMAIN_BLOCKED] = "blocked",   [VIR_DOMAIN_PAUSED] = "paused",
        [VIR_DOMAIN_SHUTDOWN] = "shutdown", [VIR_DOMAIN_SHUTOFF] = "shutoff",
        [VIR_DOMAIN_CRASHED] = "crashed",   [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
};

const char *
vpmu_dom_get_state(vpmu_dom *dom)
{
    if (dom->state < 0) {
        int state, reason;
        if (virDomainGetState(dom->dom, &state, &reason, 0) < 0)
            return NULL;
        dom->state = state;
    }
    if ((size_t)dom->state >= ELEMENTSOF(state_strings) || !state_strings[dom->state])
        return "unknown";
    return state_strings[dom->state];
}

bool
vpmu_dom_is_active(const vpmu_dom *dom)
{
    switch (dom->state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_SHUTDOWN:
    case VIR_DOMAIN_PMSUSPENDED:
        return true;
    default:
        return false;
    }
}

char *
vpmu_dom_get_xml(vpmu_dom *dom, bool inactive)
{
    return virDomainGetXMLDesc(dom->dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
}

void
vpmu_dom_free(vpmu_dom *dom)
{
    if (!dom)
        return;
    if (dom->dom)
        virDomainFree(dom->dom);
    free(dom);
}

void
vpmu_conn_close(vpmu_conn *conn)
{
    if (!conn)
        return;
    virConnectClose(conn->conn);
    free(conn->uri);
    free(conn->shown);
    free(conn->driver);
    free(conn->caps);
    free(conn);
}

const char *
vpmu_conn_get_uri(const vpmu_conn *conn)
{
    return conn->uri;
}

const char *
vpmu_conn_get_driver(vpmu_conn *conn)
{
    return conn->driver;
}

int
vpmu_conn_get_versions(vpmu_conn *conn, unsigned long *libvirt_version, unsigned long *hv_version,
                       vpmu_error **error)
{
    unsigned long lv = 0, hv = 0;

    if (virConnectGetLibVersion(conn->conn, &lv) < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the libvirt version of '%s': %s",
                       conn->shown, last_error());
        return -1;
    }
    /* Some drivers have no hypervisor version; that is "unknown", not an error. */
    if (virConnectGetVersion(conn->conn, &hv) < 0)
        hv = 0;
    if (libvirt_version)
        *libvirt_version = lv;
    if (hv_version)
        *hv_version = hv;
    return 0;
}

char *
vpmu_conn_get_hostname(vpmu_conn *conn, vpmu_error **error)
{
    char *h = virConnectGetHostname(conn->conn);

    if (!h) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the hostname of '%s': %s", conn->shown,
                       last_error());
        return NULL;
    }
    return h;
}

static bool
is_test_driver(const vpmu_conn *conn)
{
    return strcasecmp(conn->driver, "test") == 0 || strncmp(conn->uri, "test:", 5) == 0;
}

/* Parse the capabilities XML once and evaluate @expr on it; NULL when no match. */
static char *
caps_xpath_string(vpmu_conn *conn, const char *expr, vpmu_error **error)
{
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
    _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr obj = NULL;

    if (!conn->caps) {
        char *caps = virConnectGetCapabilities(conn->conn);
        if (!caps) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the capabilities of '%s': %s",
                           conn->shown, last_error());
            return NULL;
        }
        conn->caps = caps;
    }
    doc = xmlReadMemory(conn->caps, (int)strlen(conn->caps), "capabilities.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "'%s' returned capabilities that do not parse",
                       conn->shown);
        return NULL;
    }
    ctx = xmlXPathNewContext(doc);
    if (!ctx)
        return NULL;
    obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval || !*obj->stringval)
        return NULL;
    return xstrdup((const char *)obj->stringval);
}

char *
vpmu_conn_get_host_arch(vpmu_conn *conn, vpmu_error **error)
{
    vpmu_error *local = NULL;
    char *arch;

    /*
     * The test driver describes a fixed, fake i686 host; a guest built "for
     * the host" there means for the machine vpmu runs on.
     */
    if (!is_test_driver(conn)) {
        arch = caps_xpath_string(conn, "string(/capabilities/host/cpu/arch)", &local);
        if (arch)
            return arch;
        if (local) {
            vpmu_error_set(error, vpmu_error_get_code(local), "%s", vpmu_error_get_message(local));
            vpmu_error_free(local);
            return NULL;
        }
    }
    struct utsname u;
    if (uname(&u) < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot tell the host architecture");
        return NULL;
    }
    if (STREQ(u.machine, "arm64"))
        return xstrdup("aarch64");
    return xstrdup(u.machine);
}

static bool
valid_token(const char *s)
{
    /* Arch and virt type names are [a-z0-9_]; refuse anything else before it reaches XPath. */
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

char *
vpmu_conn_default_virt_type(vpmu_conn *conn, const char *arch, vpmu_error **error)
{
    _cleanup_free_ char *expr = NULL;
    _cleanup_free_ char *kvm = NULL;
    vpmu_error *local = NULL;

    if (!valid_token(arch)) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "invalid architecture name '%s'", arch ? arch : "");
        return NULL;
    }
    expr = xasprintf("string(/capabilities/guest[arch/@name='%s']/arch/domain[@type='kvm']/@type)",
                     arch);
    kvm = caps_xpath_string(conn, expr, &local);
    if (local) {
        vpmu_error_set(error, vpmu_error_get_code(local), "%s", vpmu_error_get_message(local));
        vpmu_error_free(local);
        return NULL;
    }
    return xstrdup(kvm ? "kvm" : "qemu");
}

static virDomainPtr
lookup(vpmu_conn *conn, const char *name, vpmu_error **error)
{
    virDomainPtr dom = virDomainLookupByName(conn->conn, name);
    virErrorPtr e;

    if (dom)
        return dom;
    /* Not "no domain" when the question got no answer (keepalive closed the connection). */
    e = virGetLastError();
    if (e && e->code != VIR_ERR_NO_DOMAIN) {
        _cleanup_free_ char *q = quote_for_message(name, 200);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot look up domain '%s' on '%s': %s", q,
                       conn->shown, last_error());
        return NULL;
    }
    dom = virDomainLookupByUUIDString(conn->conn, name);
    if (!dom) {
        _cleanup_free_ char *q = quote_for_message(name, 200);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "no domain '%s' on '%s'", q, conn->shown);
    }
    return dom;
}

int
vpmu_guest_define(vpmu_conn *conn, const char *xml, bool start, char **uuid_out, vpmu_error **error)
{
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(virDomainFreep) virDomainPtr existing = NULL;
    vpmu_domain_info info = {0};
    char uuid[VIR_UUID_STRING_BUFLEN];

    /* Refuse to replace an existing definition: that is what 'apply' is for. */
    doc = vpmu_domxml_parse_flags(xml, strlen(xml), "<guest>", 0, error);
    if (!doc)
        return -1;
    if (vpmu_domxml_get_info(doc, &info, error) < 0)
        return -1;
    if (info.name) {
        virResetLastError();
        existing = virDomainLookupByName(conn->conn, info.name);
        if (existing) {
            _cleanup_free_ char *q = quote_for_message(info.name, 200);
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "domain '%s' already exists on '%s'; use 'vpmu apply %s' to change it",
                           q, conn->shown, q);
            vpmu_domain_info_clear(&info);
            return -1;
        }
    }
    vpmu_domain_info_clear(&info);

    dom = virDomainDefineXMLFlags(conn->conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
    if (!dom) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot define the guest on '%s': %s", conn->shown,
                       last_error());
        return -1;
    }
    if (start && virDomainCreate(dom) < 0) {
        /* Say what became of the definition: the undefine can fail too. */
        _cleanup_free_ char *why = xstrdup(last_error());

        if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_NVRAM) == 0) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "cannot start the guest on '%s': %s; its definition was removed again",
                           conn->shown, why);
        } else {
            /* Copied first: every libvirt call, virDomainGetName too, resets it. */
            _cleanup_free_ char *why_not = xstrdup(last_error());
            _cleanup_free_ char *name = quote_for_message(virDomainGetName(dom) ?: "", 200);

            vpmu_error_set(error, VPMU_ERR_RUNTIME,
                           "cannot start the guest on '%s': %s; removing its definition failed "
                           "too (%s), so '%s' is still defined: undefine it yourself",
                           conn->shown, why, why_not, name);
        }
        return -1;
    }
    if (uuid_out) {
        if (virDomainGetUUIDString(dom, uuid) < 0)
            uuid[0] = '\0';
        *uuid_out = xstrdup(uuid);
    }
    return 0;
}

char *
vpmu_domain_get_xml(vpmu_conn *conn, const char *name, bool inactive, vpmu_error **error)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = lookup(conn, name, error);
    char *xml;

    if (!dom)
        return NULL;
    xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (!xml) {
        _cleanup_free_ char *q = quote_for_message(name, 200);
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the XML of '%s' on '%s': %s", q,
                       conn->shown, last_error());
    }
    return xml;
}

int
vpmu_domain_apply_pmu(vpmu_conn *conn, const char *name, vpmu_pmu pmu, vpmu_apply_result *result,
                      vpmu_error **error)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = lookup(conn, name, error);
    _cleanup_(virDomainFreep) virDomainPtr redefined = NULL;
    _cleanup_(vpmu_domxml_freep) vpmu_domxml *doc = NULL;
    _cleanup_free_ char *orig = NULL;
    _cleanup_free_ char *edited = NULL;
    _cleanup_free_ char *after = NULL;
    /* SECURE keeps passwords, so that redefining loses nothing. */
    const unsigned int flags = VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE;

    vpmu_apply_result res = {0};
    _cleanup_free_ char *qn = quote_for_message(name, 200);

    if (!dom)
        return -1;
    if (virDomainIsPersistent(dom) != 1) {
        vpmu_error_set(
                error, VPMU_ERR_RUNTIME,
                "domain '%s' on '%s' is transient; apply changes persistent definitions only", qn,
                conn->shown);
        return -1;
    }
    orig = virDomainGetXMLDesc(dom, flags);
    if (!orig) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the XML of '%s' on '%s': %s", qn,
                       conn->shown, last_error());
        return -1;
    }
    /* libvirt parses the redefinition and writes its own XML: whole-tree
     * output is as good as a splice here, so the input's bytes are not kept. */
    doc = vpmu_domxml_parse_flags(orig, strlen(orig), name, 0, error);
    if (!doc)
        return -1;
    res.previous = vpmu_domxml_get_pmu(doc);
    res.active = virDomainIsActive(dom) == 1;
    if (virDomainGetUUIDString(dom, res.uuid) < 0)
        res.uuid[0] = '\0';
    if (res.previous == pmu) {
        if (result)
            *result = res;
        return 0;
    }
    if (vpmu_domxml_set_pmu(doc, pmu, error) < 0)
        return -1;
    if (vpmu_domxml_format(doc, &edited, NULL, error) < 0)
        return -1;

    redefined = virDomainDefineXMLFlags(conn->conn, edited, VIR_DOMAIN_DEFINE_VALIDATE);
    if (!redefined) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "cannot redefine '%s' on '%s': %s; the domain was left as it was", qn,
                       conn->shown, last_error());
        /* libvirt defines atomically; make sure, and put the original back if not. */
        after = virDomainGetXMLDesc(dom, flags);
        if (after && !STREQ(after, orig)) {
            virDomainPtr back = virDomainDefineXML(conn->conn, orig);
            if (back)
                virDomainFree(back);
        }
        return -1;
    }
    res.changed = true;
    if (result)
        *result = res;
    return 0;
}
