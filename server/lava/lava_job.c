/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_job.c - iommulab job -> LAVA job definition (lava_job.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lava_job.h"
#include "lava_template.h"
#include "lava_util.h"

/* characters a kernel command line word may hold here */
static bool cmdline_ok(const char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.,:=/+-*? ", *s))
			return false;
	return true;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* LAVA device type names: upstream ones have capitals (asus-C436FA-Flip-hatch) */
static bool device_type_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static const char *default_console(const char *arch)
{
	if (!strcmp(arch, "arm64"))
		return "ttyAMA0";
	if (!strcmp(arch, "s390x"))
		return "ttysclp0";
	return "ttyS0";
}

static const char *debian_arch(const char *arch)
{
	if (!strcmp(arch, "x86_64"))
		return "amd64";
	return arch;	/* arm64, s390x */
}

const char *lab_lava_job_target_lab(json_t *definition)
{
	return json_string_value(json_object_get(json_object_get(definition, "lava"), "lab"));
}

/* job context for device type qemu, from the target's "qemu" object */
static int qemu_context(json_t *ctx, json_t *def, const char *arch, char *err, size_t errlen)
{
	json_t *q = json_object_get(def, "qemu"), *args, *opts, *a;
	const char *machine;
	json_int_t mem;
	char buf[512];
	size_t i;

	if (!json_is_object(q)) {
		lab_lava_seterr(err, errlen, "target has device type qemu but no \"qemu\" object");
		return -EINVAL;
	}
	machine = json_string_value(json_object_get(q, "machine"));
	mem = json_integer_value(json_object_get(q, "memory_mb"));
	args = json_object_get(q, "args");
	if (!machine || !cmdline_ok(machine) || strchr(machine, ' ') ||
	    (args && !json_is_array(args))) {
		lab_lava_seterr(err, errlen, "target qemu.machine/args missing or with bad characters");
		return -EINVAL;
	}
	opts = json_array();
	if (!opts)
		return -ENOMEM;
	json_array_append_new(opts, json_string("-accel tcg"));
	if (!strcmp(arch, "arm64")) {
		/* LAVA's qemu type writes -cpu/-machine for arm64 from these */
		json_object_set_new(ctx, "machine", json_string(machine));
		json_object_set_new(ctx, "cpu", json_string("max"));
	} else {
		json_array_append_new(opts, json_string("-cpu max"));
		snprintf(buf, sizeof(buf), "-machine %s", machine);
		json_array_append_new(opts, json_string(buf));
	}
	json_array_append_new(opts, json_string("-no-reboot"));
	/* rig/boot passes qemu.args as argv words: "-device" "X" -> "-device X" */
	for (i = 0; i < json_array_size(args); i++) {
		const char *w = json_string_value(json_array_get(args, i));
		const char *v = json_string_value(json_array_get(args, i + 1));

		if (!w || !cmdline_ok(w) || strchr(w, ' ')) {
			lab_lava_seterr(err, errlen, "target qemu.args[%zu] is not a plain word", i);
			json_decref(opts);
			return -EINVAL;
		}
		if (w[0] == '-' && v && v[0] != '-') {
			if (!cmdline_ok(v) || strchr(v, ' ')) {
				lab_lava_seterr(err, errlen, "target qemu.args[%zu] is not a plain word", i + 1);
				json_decref(opts);
				return -EINVAL;
			}
			snprintf(buf, sizeof(buf), "%s %s", w, v);
			i++;
			a = json_string(buf);
		} else {
			a = json_string(w);
		}
		json_array_append_new(opts, a);
	}
	json_object_set_new(ctx, "arch", json_string(debian_arch(arch)));
	json_object_set_new(ctx, "no_kvm", json_true());
	json_object_set_new(ctx, "memory", json_integer(mem > 0 ? mem : 512));
	json_object_set_new(ctx, "extra_options", opts);
	return 0;
}

const char *lab_lava_job_qemu_generation(json_t *def)
{
	const char *v = json_string_value(json_object_get(json_object_get(def, "qemu"), "version"));

	return v ? v : "7.2";
}

/* "7.2", "10.0": digits '.' digits */
static bool generation_ok(const char *v)
{
	size_t a = strspn(v, "0123456789"), b;

	if (!a || a > 3 || v[a] != '.')
		return false;
	b = strspn(v + a + 1, "0123456789");
	return b && b <= 3 && !v[a + 1 + b];
}

/*
 * The job's device tags: the target's lava.tags and, for device type qemu,
 * "qemu-GEN" for the QEMU generation it needs (qemu.version, default 7.2):
 * LAVA's qemu type cannot be told which binary to run, a device can (its
 * dictionary: jobs/devices/qemu-01.jinja2, rig/lava-qemu), so the job asks
 * for a device of that generation. Every qemu job carries one, so a 7.2 job
 * never lands on a 10.0 device.
 */
static int job_tags(json_t *vars, json_t *def, json_t *lava, const char *dt, const char *tname,
		    char *err, size_t errlen)
{
	json_t *x = json_object_get(lava, "tags"), *tags;
	const char *gen;
	char tag[32];

	if (x && !json_is_array(x)) {
		lab_lava_seterr(err, errlen, "target %s: lava.tags must be a list", tname);
		return -EINVAL;
	}
	tags = x ? json_copy(x) : json_array();
	if (!tags)
		return -ENOMEM;
	if (!strcmp(dt, "qemu")) {
		x = json_object_get(json_object_get(def, "qemu"), "version");
		if (x && !json_is_string(x)) {
			lab_lava_seterr(err, errlen, "target %s: qemu.version must be a string", tname);
			json_decref(tags);
			return -EINVAL;
		}
		gen = lab_lava_job_qemu_generation(def);
		if (!generation_ok(gen)) {
			lab_lava_seterr(err, errlen, "target %s: qemu.version '%.16s' is not N.N",
					tname, gen);
			json_decref(tags);
			return -EINVAL;
		}
		snprintf(tag, sizeof(tag), "qemu-%s", gen);
		json_array_append_new(tags, json_string(tag));
	}
	if (json_array_size(tags))
		json_object_set(vars, "tags", tags);
	json_decref(tags);
	return 0;
}

static int build_cmdline(const struct lab_lava_job_in *in, json_t *def, const char *console,
			 char *out, size_t len, char *err, size_t errlen)
{
	const struct lab_job *j = in->job;
	const char *tappend = json_string_value(json_object_get(json_object_get(def, "qemu"),
								"append"));
	size_t n;

	n = snprintf(out, len, "console=%s panic=-1 iommulab.target=%s", console, in->target->name);
	if (tappend && *tappend)
		n += snprintf(out + n, n < len ? len - n : 0, " %s", tappend);
	if (j->case_filter && *j->case_filter) {
		const char *f = j->case_filter, *comma;

		/* "fault.KIND[,FILTER]" as for the QEMU runner (backend_qemu.c
		 * job_fault): the fault, then the case filter */
		if (!strncmp(f, "fault.", 6) || !strncmp(f, "fault=", 6)) {
			comma = strchr(f, ',');
			n += snprintf(out + n, n < len ? len - n : 0, " iommulab.fault=%.*s",
				      (int)(comma ? (size_t)(comma - f - 6) : strlen(f + 6)), f + 6);
			f = comma ? comma + 1 : "";
		}
		if (*f)
			n += snprintf(out + n, n < len ? len - n : 0, " iommulab.filter=%s", f);
	}
	if (j->repeat > 1)
		n += snprintf(out + n, n < len ? len - n : 0, " iommulab.repeat=%d", j->repeat);
	n += snprintf(out + n, n < len ? len - n : 0, " iommulab.lava=1");
	if (n >= len) {
		lab_lava_seterr(err, errlen, "kernel command line too long");
		return -EINVAL;
	}
	if (!cmdline_ok(out)) {
		lab_lava_seterr(err, errlen, "kernel command line has a character outside [A-Za-z0-9_.,:=/+*?- ]");
		return -EINVAL;
	}
	return 0;
}

int lab_lava_job_vars(const struct lab_lava_job_in *in, json_t **vars_out,
		      char tmpl[64], char *err, size_t errlen)
{
	const struct lab_target *t = in->target;
	json_t *def, *lava, *ctx, *vars, *x, *meta;
	const char *dt, *tname, *console;
	char cmdline[1024], buf[1200];
	json_int_t mins;
	int r = -EINVAL;

	*vars_out = NULL;
	if (!in->job || !in->kernel || !t || !t->definition || !in->kernel_url || !in->initrd_url)
		return -EINVAL;
	def = json_loads(t->definition, 0, NULL);
	if (!json_is_object(def)) {
		lab_lava_seterr(err, errlen, "target %s: definition is not a JSON object", t->name);
		json_decref(def);
		return -EINVAL;
	}
	lava = json_object_get(def, "lava");
	dt = json_string_value(json_object_get(lava, "device_type"));
	if (!dt || !device_type_ok(dt)) {
		lab_lava_seterr(err, errlen, "target %s: lava.device_type missing or not [A-Za-z0-9_-]", t->name);
		goto put_def;
	}
	tname = json_string_value(json_object_get(lava, "template"));
	if (!tname)
		tname = !strcmp(dt, "qemu") ? "qemu" : NULL;
	if (!tname || !name_ok(tname)) {
		lab_lava_seterr(err, errlen, "target %s: lava.template missing or not [a-z0-9_-] (device type %s)",
		       t->name, dt);
		goto put_def;
	}
	snprintf(tmpl, 64, "%s", tname);
	console = json_string_value(json_object_get(lava, "console"));
	if (!console)
		console = default_console(t->arch);

	ctx = json_object();
	vars = json_object();
	meta = json_object();
	if (!ctx || !vars || !meta) {
		r = -ENOMEM;
		goto put_all;
	}
	if (!strcmp(dt, "qemu")) {
		r = qemu_context(ctx, def, t->arch, err, errlen);
		if (r)
			goto put_all;
	}
	x = json_object_get(lava, "context");
	if (x && (!json_is_object(x) || json_object_update(ctx, x))) {
		lab_lava_seterr(err, errlen, "target %s: lava.context must be an object", t->name);
		r = -EINVAL;
		goto put_all;
	}
	r = build_cmdline(in, def, console, cmdline, sizeof(cmdline), err, errlen);
	if (r)
		goto put_all;
	/* ipxe / u-boot device types take kernel arguments from the context */
	json_object_set_new(ctx, "extra_kernel_args", json_string(cmdline));

	snprintf(buf, sizeof(buf), "iommulab job %lld: %s on %s", (long long)in->job->id,
		 in->kernel->name, t->name);
	json_object_set_new(vars, "job_name", json_string(buf));
	json_object_set_new(vars, "device_type", json_string(dt));
	/* iommulab priority (any int, higher first) -> LAVA 0..100 */
	json_object_set_new(vars, "priority",
			    json_integer(in->job->priority < 0 ? 0 :
					 in->job->priority > 50 ? 100 : 50 + in->job->priority));
	mins = (in->job->timeout_s + 59) / 60;
	if (mins < 1)
		mins = 1;
	json_object_set_new(vars, "action_timeout_min", json_integer(mins));
	json_object_set_new(vars, "job_timeout_min", json_integer(mins + 15));
	json_object_set(vars, "context", ctx);
	json_object_set_new(meta, "iommulab.job", json_integer(in->job->id));
	json_object_set_new(meta, "iommulab.kernel", json_string(in->kernel->name));
	json_object_set_new(meta, "iommulab.target", json_string(t->name));
	if (in->lab_name)
		json_object_set_new(meta, "iommulab.lab", json_string(in->lab_name));
	json_object_set(vars, "metadata", meta);
	snprintf(buf, sizeof(buf), "-kernel {kernel} -append \"%s\"", cmdline);
	json_object_set_new(vars, "kernel_image_arg", json_string(buf));
	json_object_set_new(vars, "kernel_args", json_string(cmdline));
	json_object_set_new(vars, "kernel_url", json_string(in->kernel_url));
	json_object_set_new(vars, "initrd_url", json_string(in->initrd_url));
	if (in->kernel_sha256)
		json_object_set_new(vars, "kernel_sha256", json_string(in->kernel_sha256));
	if (in->initrd_sha256)
		json_object_set_new(vars, "initrd_sha256", json_string(in->initrd_sha256));
	x = json_object_get(lava, "kernel_type");
	if (json_is_string(x))
		json_object_set(vars, "kernel_type", x);
	x = json_object_get(lava, "dtb");
	if (json_is_string(x))
		json_object_set_new(vars, "dtb", json_pack("{s:O}", "url", x));
	r = job_tags(vars, def, lava, dt, t->name, err, errlen);
	if (r)
		goto put_all;
	if (!strcmp(dt, "qemu"))
		json_object_set_new(meta, "iommulab.qemu", json_string(lab_lava_job_qemu_generation(def)));
	if (in->callback_url && in->callback_token_desc) {
		json_t *notify = json_pack("{s:{s:s},s:[{s:s,s:s,s:s,s:s,s:s}]}",
					   "criteria", "status", "finished",
					   "callbacks", "url", in->callback_url, "method", "POST",
					   "dataset", "all", "token", in->callback_token_desc,
					   "content-type", "json");

		if (!notify) {
			r = -ENOMEM;
			goto put_all;
		}
		json_object_set_new(vars, "notify", notify);
	}
	if (lab_lava_template_value_ok(vars)) {
		lab_lava_seterr(err, errlen, "target %s: a value has a character outside printable ASCII",
		       t->name);
		r = -EINVAL;
		goto put_all;
	}
	*vars_out = vars;
	vars = NULL;
	r = 0;
put_all:
	json_decref(vars);
	json_decref(meta);
	json_decref(ctx);
put_def:
	json_decref(def);
	return r;
}

int lab_lava_job_render(const char *jobs_dir, const struct lab_lava_job_in *in,
			char **yaml, char *err, size_t errlen)
{
	char tmpl[64], path[PATH_MAX];
	json_t *vars;
	int r;

	*yaml = NULL;
	r = lab_lava_job_vars(in, &vars, tmpl, err, errlen);
	if (r)
		return r;
	if ((size_t)snprintf(path, sizeof(path), "%s/templates/%s.yaml.in", jobs_dir, tmpl) >=
	    sizeof(path)) {
		json_decref(vars);
		return -ENAMETOOLONG;
	}
	r = lab_lava_template_render_file(path, vars, yaml, err, errlen);
	json_decref(vars);
	return r;
}
