/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Versioned notifications: build one per configured guest, write it to a file.
 *
 * The message has the keys oslo.messaging's Notifier._notify() puts in every
 * notification (message_id = str(uuid4()), publisher_id, event_type, priority,
 * payload, timestamp = str(timeutils.utcnow()), i.e. naive UTC as
 * "YYYY-MM-DD HH:MM:SS.ffffff").  The payload is a versioned object in Nova's
 * notation (nova_object.name/namespace/version/data, docs/facts.md §1).
 *
 * Payload objects, all in namespace "vpmu" (docs/notifications.md):
 *   VpmuGuestPayload 1.0      domain_name, domain_uuid, pmu, pmu_source,
 *                             effective_pmu, flavor, image
 *   FlavorPayload 1.0         name, flavorid, memory_mb, vcpus, extra_specs
 *                             (field names as in Nova's FlavorPayload)
 *   ImageMetaPayload 1.0      id, name, properties (as Nova's ImageMetaPayload)
 *   ImageMetaPropsPayload 1.0 the properties below, named and typed as in
 *                             Nova's ImageMetaPropsPayload 1.3+ (1.3 added
 *                             hw_pmu, hw_mem_encryption and hw_time_hpet)
 *
 * Like Nova (populate_schema(set_none=False)), an image property the image does
 * not set is left out of ImageMetaPropsPayload.  hw_pmu is the exception: it
 * is always present, and null says "unset", so that a consumer can tell the
 * tenant's choice from the absence of one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"
#include "vpmu/notify.h"

#define OBJECT_VERSION "1.0" /* every nested object is at 1.0 in VpmuGuestPayload 1.0 */

/* json_int_t is long long when jansson has it (JSON_INTEGER_IS_LONG_LONG), as on Debian. */
#define JSON_INT_MAX LLONG_MAX

typedef enum {
    PROP_STRING,
    PROP_BOOL,
    PROP_INT,
    PROP_PMU, /* hw_pmu: from the decision, always present, null when unset */
} prop_type;

/*
 * The image properties carried in ImageMetaPropsPayload, in key order.  Names
 * and JSON types are Nova's ImageMetaProps fields (nova/objects/image_meta.py):
 * StringField and the enum fields are strings, FlexibleBooleanField a boolean,
 * IntegerField an integer.  Adding a property is a minor version bump.
 */
static const struct {
    const char *key;
    prop_type type;
} image_props[] = {
        {"hw_architecture", PROP_STRING},
        {"hw_boot_menu", PROP_BOOL},
        {"hw_cpu_cores", PROP_INT},
        {"hw_cpu_policy", PROP_STRING},
        {"hw_cpu_sockets", PROP_INT},
        {"hw_cpu_threads", PROP_INT},
        {"hw_disk_bus", PROP_STRING},
        {"hw_firmware_type", PROP_STRING},
        {"hw_machine_type", PROP_STRING},
        {"hw_mem_encryption", PROP_BOOL},
        {"hw_mem_page_size", PROP_STRING},
        {"hw_numa_nodes", PROP_INT},
        {"hw_pmu", PROP_PMU},
        {"hw_qemu_guest_agent", PROP_BOOL},
        {"hw_time_hpet", PROP_BOOL},
        {"hw_video_model", PROP_STRING},
        {"hw_vif_model", PROP_STRING},
        {"os_distro", PROP_STRING},
        {"os_type", PROP_STRING},
};

static json_t *
string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A versioned object in Nova's notation; steals @data. */
static json_t *
versioned_object(const char *name, const char *version, json_t *data)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "nova_object.name", name, "nova_object.namespace",
                     VPMU_NOTIFY_NAMESPACE, "nova_object.version", version, "nova_object.data",
                     data);
}

/* A positive count (ram, vcpus) or null: the metadata module reports 0 for "not given". */
static json_t *
count_or_null(unsigned long long n)
{
    if (n == 0 || n > (unsigned long long)JSON_INT_MAX)
        return json_null();
    return json_integer((json_int_t)n);
}

static json_t *
flavor_payload(const vpmu_flavor *flavor)
{
    json_t *specs = json_object();
    const char *key, *value;

    for (size_t i = 0; flavor && vpmu_flavor_spec_at(flavor, i, &key, &value); i++) {
        /* Fails only for a key or value that is not UTF-8: fail the whole payload. */
        if (json_object_set_new(specs, key, json_string(value)) < 0) {
            json_decref(specs);
            return NULL;
        }
    }
    return versioned_object(
            "FlavorPayload", OBJECT_VERSION,
            json_pack("{s:o, s:o, s:o, s:o, s:o}", "name",
                      string_or_null(flavor ? vpmu_flavor_get_name(flavor) : NULL), "flavorid",
                      string_or_null(flavor ? vpmu_flavor_get_id(flavor) : NULL), "memory_mb",
                      count_or_null(flavor ? vpmu_flavor_get_ram_mib(flavor) : 0), "vcpus",
                      count_or_null(flavor ? vpmu_flavor_get_vcpus(flavor) : 0), "extra_specs",
                      specs));
}

/*
 * One property, typed.  Returns NULL when the image does not set it, or sets it
 * to a value that the field's type cannot hold (for example hw_cpu_cores=four):
 * such a property is left out, as Nova would refuse it.  Sets *bad for a
 * string that is not UTF-8.
 */
static json_t *
prop_value(prop_type type, const char *raw, vpmu_pmu image_pmu, bool *bad)
{
    json_t *s;
    unsigned long long n;
    bool b;

    switch (type) {
    case PROP_PMU:
        if (image_pmu == VPMU_PMU_ON)
            return json_true();
        if (image_pmu == VPMU_PMU_OFF)
            return json_false();
        return json_null();
    case PROP_STRING:
        if (!raw)
            return NULL;
        s = json_string(raw);
        if (!s)
            *bad = true;
        return s;
    case PROP_BOOL:
        if (!raw || vpmu_parse_bool(raw, &b) < 0)
            return NULL;
        return json_boolean(b);
    case PROP_INT:
        if (!raw || parse_ull(raw, &n) < 0 || n > (unsigned long long)JSON_INT_MAX)
            return NULL;
        return json_integer((json_int_t)n);
    }
    return NULL;
}

static json_t *
image_payload(const vpmu_image *image, vpmu_pmu image_pmu)
{
    json_t *props = json_object();
    bool bad = false;

    for (size_t i = 0; i < ELEMENTSOF(image_props); i++) {
        const char *raw = image ? vpmu_image_get_prop(image, image_props[i].key) : NULL;
        json_t *v = prop_value(image_props[i].type, raw, image_pmu, &bad);

        if (v)
            json_object_set_new(props, image_props[i].key, v);
    }
    if (bad) {
        json_decref(props);
        return NULL;
    }
    return versioned_object(
            "ImageMetaPayload", OBJECT_VERSION,
            json_pack("{s:o, s:o, s:o}", "id",
                      string_or_null(image ? vpmu_image_get_id(image) : NULL), "name",
                      string_or_null(image ? vpmu_image_get_name(image) : NULL), "properties",
                      versioned_object("ImageMetaPropsPayload", OBJECT_VERSION, props)));
}

/* A random (version 4) UUID, as Python's str(uuid.uuid4()). */
static int
uuid4(char out[37], vpmu_error **error)
{
    unsigned char b[16];

    if (random_uuid4(b, error) < 0)
        return -1;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return 0;
}

/*
 * Now, UTC, as oslo's str(timeutils.utcnow()).  Python drops ".ffffff" when
 * the microseconds are exactly zero; we always print them, which oslo's
 * timeutils.parse_strtime() and datetime.fromisoformat() both read.
 */
static int
utc_timestamp(char *out, size_t size, vpmu_error **error)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm) ||
        (n = strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm)) == 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot read the clock: %s", strerror(errno));
        return -1;
    }
    snprintf(out + n, size - n, ".%06d", (int)(ts.tv_nsec / 1000) % 1000000);
    return 0;
}

static int
host_name(char *out, size_t size, vpmu_error **error)
{
    if (gethostname(out, size - 1) < 0) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot get the host name: %s", strerror(errno));
        return -1;
    }
    out[size - 1] = '\0';
    return 0;
}

char *
vpmu_notification_build(const vpmu_notify_guest *guest, const vpmu_notify_overrides *overrides,
                        vpmu_error **error)
{
    static const vpmu_notify_overrides none = {0};
    const vpmu_notify_overrides *ov = overrides ? overrides : &none;
    json_auto_t *msg = NULL;
    _cleanup_free_ char *publisher = NULL;
    char host[HOST_NAME_MAX + 1];
    char id[37];
    char when[64];
    const vpmu_decision *d;
    char *out;

    if (!guest || !guest->decision) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "a notification needs the guest's decision");
        return NULL;
    }
    d = guest->decision;
    if (!vpmu_pmu_to_string(d->pmu) || !vpmu_source_to_string(d->source) ||
        !vpmu_pmu_to_string(d->image)) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "a notification needs a valid decision");
        return NULL;
    }
    if (!ov->host && host_name(host, sizeof(host), error) < 0)
        return NULL;
    if (!ov->message_id && uuid4(id, error) < 0)
        return NULL;
    if (!ov->timestamp && utc_timestamp(when, sizeof(when), error) < 0)
        return NULL;
    publisher = xasprintf("%s:%s", VPMU_NOTIFY_PUBLISHER, ov->host ? ov->host : host);

    json_t *data = json_pack(
            "{s:o, s:o, s:s, s:s, s:o, s:o, s:o}", "domain_name",
            string_or_null(guest->domain_name), "domain_uuid", string_or_null(guest->domain_uuid),
            "pmu", vpmu_pmu_to_string(d->pmu), "pmu_source", vpmu_source_to_string(d->source),
            "effective_pmu", string_or_null(guest->effective), "flavor",
            flavor_payload(guest->flavor), "image", image_payload(guest->image, d->image));
    msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "message_id",
                    ov->message_id ? ov->message_id : id, "publisher_id", publisher, "event_type",
                    VPMU_NOTIFY_EVENT_TYPE, "priority", VPMU_NOTIFY_PRIORITY, "timestamp",
                    ov->timestamp ? ov->timestamp : when, "payload",
                    versioned_object(VPMU_NOTIFY_PAYLOAD_NAME, VPMU_NOTIFY_PAYLOAD_VERSION, data));
    /* json_pack fails only on invalid UTF-8 in a user string (names, specs). */
    if (!msg) {
        vpmu_error_set(error, VPMU_ERR_INVALID,
                       "cannot build the notification: a name, extra spec or property is not "
                       "valid UTF-8");
        return NULL;
    }
    out = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!out)
        abort(); /* jansson fails here only when out of memory */
    return out;
}

bool
vpmu_notify_target_is_amqp(const char *target)
{
    return target && (strncmp(target, "amqp://", 7) == 0 || strncmp(target, "amqps://", 8) == 0);
}

int
vpmu_notification_write(const char *target, const char *notification, vpmu_error **error)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *line = NULL, *quoted = NULL;
    const char *shown;
    size_t len, done = 0;
    int out;

    if (!target || !*target || !notification) {
        vpmu_error_set(error, VPMU_ERR_USAGE, "a notification needs a target and a message");
        return -1;
    }
    if (STREQ(target, "-")) {
        out = STDOUT_FILENO;
        shown = "standard output";
    } else {
        quoted = quote_for_message(target, 300);
        fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot open '%s' for notifications: %s",
                           quoted, strerror(errno));
            return -1;
        }
        out = fd;
        shown = quoted;
    }
    /* One write() per line, so that O_APPEND writers do not interleave within a line. */
    line = xasprintf("%s\n", notification);
    len = strlen(line);
    while (done < len) {
        ssize_t w = write(out, line + done, len - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot write the notification to '%s': %s",
                           shown, strerror(errno));
            return -1;
        }
        done += (size_t)w;
    }
    if (fd >= 0) {
        int r = close(TAKE_FD(fd));
        if (r < 0) {
            vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot write the notification to '%s': %s",
                           shown, strerror(errno));
            return -1;
        }
    }
    return 0;
}
