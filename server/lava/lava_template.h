/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_template.h - render a LAVA job template (jobs/templates/NAME.yaml.in).
 *
 * Purpose: the one place a LAVA job definition is produced from values that
 * come from outside (kernel names, target JSON, URLs, command lines). The
 * syntax is deliberately tiny, so that no value can change the job's shape:
 *
 *   {{name}}    replaced by the JSON encoding of vars[name] (a string
 *               becomes a double-quoted scalar, a number a number, an array
 *               a flow sequence, an object a flow mapping; JSON is YAML flow
 *               syntax). Missing or null -> error.
 *   {{name?}}   the same, but the whole line is dropped when vars[name] is
 *               missing or null (optional keys such as sha256sum, dtb).
 *   # ...       a line whose first non-blank character is '#' is a template
 *               comment and is not copied (it may mention {{name}}).
 * Names are [a-z0-9_]{1,63}. Nothing else is interpreted: no expressions,
 * no includes, no shell.
 *
 * Invariants: every string anywhere in a value (object keys too) must be
 * printable ASCII (0x20..0x7e); values are encoded on one line with
 * non-ASCII escaped, so a rendered value can never start a new YAML key,
 * line or document. Output is NUL-terminated.
 *
 * Ownership: *@out is malloc'd and freed by the caller with free(); @vars
 * is borrowed.
 *
 * Errors: 0 or -errno. -EINVAL for a template syntax error, a missing
 * value or a value with a forbidden character (@err: "line N: ..."),
 * -ENOMEM, -ENOENT/-EACCES/-EFBIG for render_file's reading.
 */
#ifndef LAB_LAVA_TEMPLATE_H
#define LAB_LAVA_TEMPLATE_H

#include <stddef.h>
#include <jansson.h>

#define LAB_LAVA_TEMPLATE_MAX (256u << 10)	/* template file size limit */

int lab_lava_template_render(const char *tmpl, json_t *vars, char **out,
			     char *err, size_t errlen);
int lab_lava_template_render_file(const char *path, json_t *vars, char **out,
				  char *err, size_t errlen);
/* is every string in @v (keys included) printable ASCII? 0 or -EINVAL */
int lab_lava_template_value_ok(json_t *v);

#endif /* LAB_LAVA_TEMPLATE_H */
