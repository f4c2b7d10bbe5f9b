/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vpmu CLI: a table of commands (main.c), one file per command
 * (cmd-*.c), and the shared option groups below.  Commands parse options with
 * getopt_long, call the library and print.  Results go to stdout; diagnostics
 * go to stderr as "vpmu: message", printed once, here.
 */
#ifndef VPMU_CLI_H
#define VPMU_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/vpmu.h"

/* Exit status: the contract in vpmu(1), docs/vpmu.1.md "EXIT STATUS". */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_RUNTIME = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_INVALID = 3,
    CLI_EXIT_CONFLICT = 4,
};

typedef enum {
    CLI_OUTPUT_TEXT = 0,
    CLI_OUTPUT_JSON,
    CLI_OUTPUT_PROMETHEUS, /* audit only */
} cli_output;

/*
 * Global options: before the command name (main.c) or after it (options.c).
 * cli_global_init() fills the defaults from the environment.
 */
typedef struct {
    const char *uri; /* -c; NULL: libvirt's own default ($LIBVIRT_DEFAULT_URI, then its config) */
    cli_output output;
    bool output_set;
    bool quiet;
    /* --os-cloud NAME, else $OS_CLOUD (NULL when neither): the cloud in clouds.yaml */
    const char *os_cloud;
    /*
     * --timeout SECONDS (1 to VPMU_CONN_MAX_TIMEOUT; 0 until given, which is
     * VPMU_CONN_DEFAULT_TIMEOUT): how long a libvirt connection may take to
     * open (cli_virt_connect()), and audit's per-connection deadline.
     */
    unsigned int timeout;
} cli_global;

void cli_global_init(cli_global *g);
/*
 * A global option for @g: 'c', 'o', 'q', the --os-cloud or the --timeout code.  Returns 1
 * when stored, 0 when @opt is not a global option, -1 on a usage error
 * (printed, naming @cmd's --help).
 */
int cli_global_opt(cli_global *g, const char *cmd, int opt, const char *arg);

/*
 * The one option parser (options.c).  A command fills a cli_parser and loops:
 *
 *     cli_parser ps = {.g = g, .cmd = "xml", .help = help, .options = longopts,
 *                      .policy = &p, .guest = &gopt};
 *     while ((c = cli_next_option(&ps, argc, argv)) > 0)
 *         switch (c) { case OPT_DOMAIN: ...; }
 *     cli_parser_clear(&ps);
 *     if (c == CLI_OPTS_EXIT)
 *         return ps.status;
 *     ... operands are argv[optind .. argc-1] ...
 *
 * Global, policy (with .policy), guest (with .guest) options and -h/--help
 * are handled inside; only the command's own codes come back.  At the end
 * -o prometheus is refused unless .prometheus_ok, and more than
 * .max_operands operands (-1: any number) is a usage error.  To add an
 * option every command takes, add it to options.c's global table.
 */
enum {
    CLI_OPTS_END = -1,  /* all options read */
    CLI_OPTS_EXIT = -2, /* stop: return ps.status (after --help, or a usage error) */
};

typedef struct cli_policy cli_policy;
typedef struct cli_guest cli_guest;

typedef struct {
    cli_global *g;
    const char *cmd;
    void (*help)(void);
    const struct option *options; /* the command's own, {NULL}-terminated; may be NULL */
    const char *shortopts;        /* the command's own short options ("c:j:"); may be NULL */
    cli_policy *policy;           /* accept the policy options into this */
    cli_guest *guest;             /* accept the guest options into this */
    bool prometheus_ok;
    int max_operands;
    /* out */
    int status;
    bool guest_given; /* a guest option was seen */
    /* private */
    struct option *table_;
    char *short_;
} cli_parser;

int cli_next_option(cli_parser *ps, int argc, char **argv);
void cli_parser_clear(cli_parser *ps);

/*
 * Whether everything written to stdout reached it (fflush + ferror; SIGPIPE
 * is ignored, so a closed pipe is EPIPE here).  On failure prints, once,
 * "vpmu: cannot write to standard output" and returns CLI_EXIT_RUNTIME;
 * else CLI_EXIT_OK.  main() calls it after every command.
 */
int cli_stdout_check(void);

/*
 * Print the unified diff (diff -u, three lines of context) from @a to @b on
 * @out, under the headers "--- A_LABEL" and "+++ B_LABEL" (diff.c).
 * Prints nothing and returns false when the texts are equal.
 */
bool cli_unified_diff(FILE *out, const char *a_label, const char *a, size_t alen,
                      const char *b_label, const char *b, size_t blen);

/*
 * A user value made safe for one line of text output: quote_for_message()
 * (util.c, the one quoting function: \n, \t, \xNN for C0, DEL, C1 and
 * invalid UTF-8) without a length limit.  The string is owned by a small ring
 * and stays valid for the next 15 calls: use it inside one printf().
 * NULL gives NULL.  cli_e_release() frees the ring (at exit).
 */
const char *cli_e(const char *s);
/* The same for a URL or URI: uri_for_message(), its password never shown. */
const char *cli_e_uri(const char *uri);
/*
 * A URL or URI for JSON and Prometheus output, which escape it themselves:
 * uri_without_password(), not quoted.  Held by the same ring as cli_e().
 */
const char *cli_uri_masked(const char *uri);
/*
 * A JSON string for a value from the user, a file or a server: null for
 * NULL; bytes that are not UTF-8 (which JSON cannot carry, and which would
 * make json_pack() fail) become U+FFFD (utf8_sanitize()).
 */
json_t *cli_json_string(const char *s);
void cli_e_release(void);

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(cli_global *g, int argc, char **argv);
} cli_command;

int cmd_decide(cli_global *g, int argc, char **argv);
int cmd_xml(cli_global *g, int argc, char **argv);
int cmd_boot(cli_global *g, int argc, char **argv);
int cmd_apply(cli_global *g, int argc, char **argv);
int cmd_explain(cli_global *g, int argc, char **argv);
int cmd_host(cli_global *g, int argc, char **argv);
int cmd_schedule(cli_global *g, int argc, char **argv);
int cmd_audit(cli_global *g, int argc, char **argv);

/* The command being run (main.c sets it), for the "Try" line of usage errors. */
extern const char *cli_command_name;
/*
 * Print "vpmu: MESSAGE" for @err (and, for a usage error, "Try 'vpmu CMD
 * --help'."), free it, return its exit status.
 */
int cli_fail(vpmu_error *err);
/* Print "vpmu: MESSAGE" plus "Try 'vpmu [CMD ]--help'." and return CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The usage error for what getopt_long() rejected (@c is '?' or ':'; option
 * strings start with ':' so that a missing argument is told apart), naming
 * the option: "unknown option '--frob'", "option '--flavor' needs an
 * argument".  Returns CLI_EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, int c, char **argv);
/* "vpmu: warning: MESSAGE" on stderr (suppressed by -q). */
void cli_warn(const cli_global *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a JSON value to stdout (indented, sorted as built) and a newline; steals @v. */
int cli_print_json(json_t *v);

/*
 * The URI to hand to vpmu_conn_open(): -c, else NULL, which makes libvirt
 * choose as virsh does ($LIBVIRT_DEFAULT_URI, then its own configuration).
 */
const char *cli_uri(const cli_global *g);
/*
 * The connection the user named: -c, else a non-empty $LIBVIRT_DEFAULT_URI,
 * else NULL.  For commands that connect only when one was named (explain,
 * host's versions).
 */
const char *cli_uri_named(const cli_global *g);

/*
 * Policy inputs, accepted by every command that decides.  Add
 * CLI_POLICY_LONGOPTS to the command's getopt table and pass unknown option
 * codes to cli_policy_opt(), which returns 1 when it consumed the option.
 */
enum {
    CLI_OPT_FLAVOR = 1000,
    CLI_OPT_IMAGE,
    CLI_OPT_FLAVOR_SPEC,
    CLI_OPT_IMAGE_PROP,
    CLI_OPT_FLAVOR_NAME,
    CLI_OPT_IMAGE_NAME,
    CLI_OPT_FLAVOR_ID,
    CLI_OPT_IMAGE_ID,
    /* guest options */
    CLI_OPT_ARCH,
    CLI_OPT_VIRT_TYPE,
    CLI_OPT_CPU_MODE,
    CLI_OPT_CPU_MODEL,
    CLI_OPT_DISK,
    CLI_OPT_KERNEL,
    CLI_OPT_INITRD,
    CLI_OPT_CMDLINE,
    CLI_OPT_SERIAL_LOG,
    CLI_OPT_EMULATOR,
    /* global options with no short form */
    CLI_OPT_OS_CLOUD,
    CLI_OPT_TIMEOUT,
    /* notification options (boot, apply) */
    CLI_OPT_NOTIFY,
    CLI_OPT_NOTIFY_EXCHANGE,
    CLI_OPT_NOTIFY_CA,
    CLI_OPT_NOTIFY_CERT,
    CLI_OPT_NOTIFY_KEY,
    CLI_OPT_NOTIFY_URL_FILE,
    /* policy: near misses of hw:pmu / hw_pmu are errors, not warnings */
    CLI_OPT_STRICT,
    /* first free code for a command's own long options */
    CLI_OPT_COMMAND_BASE = 1100,
};

#define CLI_POLICY_LONGOPTS                                                                        \
    {"flavor", required_argument, NULL, CLI_OPT_FLAVOR},                                           \
            {"image", required_argument, NULL, CLI_OPT_IMAGE},                                     \
            {"flavor-spec", required_argument, NULL, CLI_OPT_FLAVOR_SPEC},                         \
            {"image-prop", required_argument, NULL, CLI_OPT_IMAGE_PROP},                           \
            {"flavor-name", required_argument, NULL, CLI_OPT_FLAVOR_NAME},                         \
            {"flavor-id", required_argument, NULL, CLI_OPT_FLAVOR_ID},                             \
            {"image-id", required_argument, NULL, CLI_OPT_IMAGE_ID},                               \
            {"strict", no_argument, NULL, CLI_OPT_STRICT},                                         \
    {                                                                                              \
        "image-name", required_argument, NULL, CLI_OPT_IMAGE_NAME                                  \
    }

#define CLI_GUEST_LONGOPTS                                                                         \
    {"arch", required_argument, NULL, CLI_OPT_ARCH},                                               \
            {"virt-type", required_argument, NULL, CLI_OPT_VIRT_TYPE},                             \
            {"cpu-mode", required_argument, NULL, CLI_OPT_CPU_MODE},                               \
            {"cpu-model", required_argument, NULL, CLI_OPT_CPU_MODEL},                             \
            {"disk", required_argument, NULL, CLI_OPT_DISK},                                       \
            {"kernel", required_argument, NULL, CLI_OPT_KERNEL},                                   \
            {"initrd", required_argument, NULL, CLI_OPT_INITRD},                                   \
            {"cmdline", required_argument, NULL, CLI_OPT_CMDLINE},                                 \
            {"serial-log", required_argument, NULL, CLI_OPT_SERIAL_LOG},                           \
    {                                                                                              \
        "emulator", required_argument, NULL, CLI_OPT_EMULATOR                                      \
    }

/* Help text for the shared groups, for each command's --help. */
extern const char cli_policy_help[];
extern const char cli_guest_help[];
/* The global --timeout, for the --help of the commands that connect (options.c). */
extern const char cli_timeout_help[];

struct cli_policy {
    const char *flavor_path;
    const char *image_path;
    const char *flavor_name;
    const char *image_name;
    const char *flavor_id; /* --flavor-id: read from Nova */
    const char *image_id;  /* --image-id: read from Glance */
    const char *os_cloud;  /* the global --os-cloud, copied in when the options are read */
    bool strict;           /* --strict: a near miss of hw:pmu / hw_pmu is exit 3 */
    bool quiet;            /* the global -q, copied in like os_cloud: no warnings */
    char **warnings;       /* near misses found by cli_policy_resolve() */
    strv flavor_specs;     /* "K=V" */
    strv image_props;
    /* filled by cli_policy_resolve() */
    vpmu_flavor *flavor;
    vpmu_image *image;
    vpmu_decision decision;
};

/* Returns 1 if @opt was a policy option (and stores it), 0 if not, -1 on a usage error. */
int cli_policy_opt(cli_policy *p, const char *cmd, int opt, const char *arg);
/* Whether any policy option was given (a file, an inline spec, a name or an id). */
bool cli_policy_given(const cli_policy *p);
/*
 * Load the JSON, apply inline specs/names, check the keys, decide.  A near
 * miss of hw:pmu / hw_pmu is printed as a warning (unless -q) and kept in
 * p->warnings; with --strict it is an error (VPMU_ERR_INVALID, exit 3) and
 * nothing is decided.  Error codes as the library's.
 */
int cli_policy_resolve(cli_policy *p, vpmu_error **error);
void cli_policy_clear(cli_policy *p);
/* The decision (and inputs) as JSON: {"pmu","source","flavor":{...},"image":{...}}. */
json_t *cli_decision_json(const cli_policy *p);
/* One line per fact, for text output. */
void cli_decision_print_text(const cli_policy *p, FILE *out);

struct cli_guest {
    const char *arch;
    const char *virt_type;
    const char *cpu_mode;
    const char *cpu_model;
    const char *disk;
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    const char *serial_log;
    const char *emulator;
};

/* Returns 1 if @opt was a guest option, 0 if not, -1 on a usage error (printed). */
int cli_guest_opt(cli_guest *gopt, const char *cmd, int opt, const char *arg);
/* Validate combinations (e.g. --disk with --kernel); returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
int cli_guest_check(const cli_guest *gopt, const char *cmd);

/*
 * Notifications (notify-cli.c), for boot and apply.  Add CLI_NOTIFY_LONGOPTS
 * to the command's table and hand the codes to cli_notify_opt(); call
 * cli_notify_resolve() before anything changes, and cli_notify() after the
 * guest was configured, once per guest.
 *
 * The target is --notify TARGET ("-", a file of JSON lines, amqp:// or
 * amqps://), else the URL in --notify-url-file FILE (mode 0600 or stricter),
 * else $VPMU_NOTIFY_URL; none of them: no notification.  The last two keep a
 * broker password out of the command line; no URL's password is ever printed.
 */
typedef struct {
    const char *target;    /* --notify */
    const char *exchange;  /* --notify-exchange (NULL: "nova") */
    const char *ca_file;   /* --notify-ca: PEM CAs for amqps:// (NULL: the system's) */
    const char *cert_file; /* --notify-cert: the client's PEM certificate for amqps:// */
    const char *key_file;  /* --notify-key: its PEM key (NULL: in cert_file) */
    const char *url_file;  /* --notify-url-file */
    /* set by cli_notify_resolve() */
    char *url;            /* the URL read from url_file or $VPMU_NOTIFY_URL */
    const char *resolved; /* the target to use, or NULL: none */
} cli_notify_opts;

#define CLI_NOTIFY_LONGOPTS                                                                        \
    {"notify", required_argument, NULL, CLI_OPT_NOTIFY},                                           \
            {"notify-exchange", required_argument, NULL, CLI_OPT_NOTIFY_EXCHANGE},                 \
            {"notify-ca", required_argument, NULL, CLI_OPT_NOTIFY_CA},                             \
            {"notify-cert", required_argument, NULL, CLI_OPT_NOTIFY_CERT},                         \
            {"notify-key", required_argument, NULL, CLI_OPT_NOTIFY_KEY},                           \
    {                                                                                              \
        "notify-url-file", required_argument, NULL, CLI_OPT_NOTIFY_URL_FILE                        \
    }
extern const char cli_notify_help[];

/* Returns 1 if @opt was a notification option (and stores it), 0 if not. */
int cli_notify_opt(cli_notify_opts *n, int opt, const char *arg);
/*
 * Check a --notify TARGET before anything is defined, started or redefined
 * (notify-cli.c): "-"; an amqp:// or amqps:// URL with a host and, if given,
 * a port 1-65535; or a file name whose file is a regular file, or does not
 * exist in a directory that does.  Anything that looks like a URL
 * (SCHEME:...) is never taken as a file name: write ./NAME for a file with a
 * ':' in its name.  Returns CLI_EXIT_OK, or prints the usage error and
 * returns CLI_EXIT_USAGE.  Extend it here when a new kind of target is added.
 */
int cli_notify_check(const char *cmd, const char *target);
/*
 * Everything about the notification that can be checked before a guest is
 * touched: which target (cli_notify_check() on it), the URL file (a regular
 * file, mode 0600 or stricter, one amqp:// or amqps:// URL),
 * $VPMU_NOTIFY_URL, --notify-ca (amqps:// only, a readable PEM file),
 * --notify-cert and --notify-key (amqps:// only; a PEM certificate, and an
 * unencrypted PEM key that others cannot read), --notify-exchange (needs a
 * target).  Prints the error and returns its exit
 * status (2, or 1 for a file that cannot be read); CLI_EXIT_OK when fine
 * (n->resolved is then the target, or NULL).
 */
int cli_notify_resolve(cli_notify_opts *n, const char *cmd);
/* Frees (and wipes) the URL read by cli_notify_resolve(). */
void cli_notify_opts_clear(cli_notify_opts *n);
/*
 * Send the notification for one configured guest to n->resolved (nothing
 * when NULL: returns CLI_EXIT_OK).  @effective is the effective vPMU state
 * ("on", "off", ...) when known, else NULL.  Returns CLI_EXIT_OK, or on
 * failure prints that the guest WAS configured but the notification was not
 * sent and returns CLI_EXIT_RUNTIME; nothing is rolled back.
 */
int cli_notify(const cli_global *g, const cli_notify_opts *n, const cli_policy *p,
               const char *domain_name, const char *domain_uuid, const char *effective);

/*
 * How to reach Placement (placement-cli.c), for host --report and
 * schedule --candidates.  With @token (--token): that token and @url, no
 * Keystone.  Else, when a cloud is configured (--os-cloud / $OS_CLOUD, or
 * $OS_AUTH_URL): a Keystone session (*cloud) and @url or the catalog's
 * placement endpoint.  Else @url with $OS_TOKEN or no token (a noauth2
 * Placement); no @url is a usage error.  Free *pl, then *cloud.
 */
struct vpmu_cloud;
struct vpmu_placement;
int cli_placement_open(const cli_global *g, const char *url, const char *token,
                       struct vpmu_cloud **cloud, struct vpmu_placement **pl, vpmu_error **error);

/* `vpmu host --report`: where to report and to which provider. */
typedef struct {
    const char *url;           /* --placement URL; NULL: the catalog's */
    const char *token;         /* --token T; NULL: Keystone or $OS_TOKEN */
    const char *provider;      /* --provider UUID */
    const char *provider_name; /* --provider-name NAME; neither: libvirt's hostname */
} cli_report;

/*
 * Make the provider carry CUSTOM_COMPUTE_VPMU exactly when @capable, and
 * CUSTOM_COMPUTE_VPMU_MEDIATED exactly when also @mediated, keeping its other
 * traits; the provider is found by name unless given by UUID (the
 * name defaults to virConnectGetHostname on cli_uri(g), opened into *conn,
 * which the caller closes).  Prints what it did; returns a CLI exit status.
 */
struct vpmu_conn;
int cli_host_report_placement(const cli_global *g, const cli_report *r, struct vpmu_conn **conn,
                              bool capable, bool mediated);
/*
 * The same without printing, for a caller that embeds the report in its own
 * JSON: *out gets {"url","provider","provider_name","trait","capable","action":
 * "set"|"cleared"|"unchanged","present","trait_created","generation",
 * "other_traits","attempts","conflicts","auth":"keystone"|"token"|"none",
 * "token_renewals","mediated":{"trait","action","present","trait_created",
 * "generation","attempts","conflicts"} for CUSTOM_COMPUTE_VPMU_MEDIATED,
 * present exactly when @capable and @mediated}.  -1 with @error on failure.
 */
int cli_host_placement_json(const cli_global *g, const cli_report *r, struct vpmu_conn **conn,
                            bool capable, bool mediated, json_t **out, vpmu_error **error);
/* @token if given, else $OS_TOKEN, else NULL. */
const char *cli_placement_token(const char *token);

/*
 * A guest ready to build: the spec plus the strings it borrows, and notes on
 * each default that was chosen (printed by xml/boot as comments or JSON).
 * The connection is opened on demand (only when a default needs it) and
 * handed back in *conn for the caller to reuse and close.
 */
struct vpmu_conn;
typedef struct {
    vpmu_guest_spec spec;
    char *owned[8];
    size_t n_owned;
    strv notes;
} cli_guest_plan;

/*
 * The one place for the CPU mode a new guest gets when none is given (used
 * by xml/boot and by explain): aarch64 needs a <cpu> for libvirt to pass
 * pmu=, so host-passthrough under kvm and maximum under qemu; NULL otherwise.
 */
const char *cli_guest_default_cpu_mode(const char *arch, const char *virt_type);
/*
 * The guest spec from options, flavor and image, each default chosen as
 * guest.c documents.  @conn: where to open (and keep) the libvirt connection
 * that the arch and virt type defaults come from; NULL: never connect, and
 * take them from this machine instead.
 */
int cli_guest_plan_make(const cli_global *g, const cli_guest *o, const cli_policy *p,
                        const char *name, bool no_reboot, struct vpmu_conn **conn,
                        cli_guest_plan *plan, vpmu_error **error);
void cli_guest_plan_clear(cli_guest_plan *plan);

/*
 * The effective vPMU (explain-cli.c), shared by `explain` and `boot`.
 *
 * cli_explain_guest(): what the guest @spec describes (spec->pmu is the
 * decision; arch, virt_type, cpu_mode, cpu_model are read) will really get.
 * The host is probed at "/" when @conn is NULL or a local QEMU connection, and
 * is unknown otherwise (a remote URI, the test driver); the QEMU version comes
 * from @conn when its driver is QEMU, else it is unknown.
 * When the guest will not get what was decided, prints one warning with the
 * reasons (cli_warn: -q silences it) and returns 1; otherwise returns 0.
 * Never fails.  *out (optional) receives the explanation, e.g. for
 * cli_notify()'s @effective: vpmu_effective_to_string(vpmu_explanation_get_state(ex));
 * free it with vpmu_explanation_free().
 */
struct vpmu_explanation;
int cli_explain_guest(const cli_global *g, struct vpmu_conn *conn, const vpmu_guest_spec *spec,
                      struct vpmu_explanation **out);
/* Whether a libvirt URI names another machine ("qemu+ssh://host/system"). */
bool cli_uri_is_remote(const char *uri);
/* {"effective","honours_decision","rule","element","reasons":[...]} */
json_t *cli_explanation_json(const struct vpmu_explanation *ex);
/* "libvirt:", "effective:", "rule:" and "reason:" lines. */
void cli_explanation_print_text(const struct vpmu_explanation *ex, FILE *out);

#endif /* VPMU_CLI_H */
