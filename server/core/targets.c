/* SPDX-License-Identifier: GPL-2.0 */
/*
 * targets.c - load targets/<arch>/<name>.json into the store (docs/targets.md).
 *
 * Purpose: the target files are the single definition of a machine; at start
 * iommulabd upserts every one of them (lab_targets_load). A file whose name
 * differs from its "name" key, or with a missing/invalid required key, is
 * rejected with a logged reason and the load fails (-EINVAL) after looking
 * at every file, so all problems are reported at once; valid files are still
 * stored (a bad file must not hide the good ones from the scheduler).
 * Health set through the API survives a reload (the file has no health).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "log.h"
#include "store.h"

static bool valid_name(const char *n)
{
	size_t l = n ? strlen(n) : 0;

	return l > 0 && l <= 64 &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-") == l;
}

static int load_one(struct lab_store *st, const char *path, const char *base)
{
	static const char *const arches[] = { "x86_64", "arm64", "s390x", "riscv64", NULL };
	struct lab_target t = { 0 };
	const char *name, *arch, *backend;
	json_t *root, *tags, *lava;
	json_error_t je;
	bool arch_ok = false;
	int r = -EINVAL;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		lab_error("targets: %s:%d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	name = json_string_value(json_object_get(root, "name"));
	arch = json_string_value(json_object_get(root, "arch"));
	backend = json_string_value(json_object_get(root, "backend"));
	for (int i = 0; arch && arches[i]; i++)
		arch_ok |= strcmp(arch, arches[i]) == 0;
	tags = json_object_get(root, "tags");
	if (!valid_name(name) || strncmp(base, name, strlen(name)) != 0 ||
	    strcmp(base + strlen(name), ".json") != 0) {
		lab_error("targets: %s: \"name\" must be [a-z0-9-]+ and equal the file name", path);
		goto put_root;
	}
	if (!arch_ok || !backend ||
	    (strcmp(backend, "qemu") != 0 && strcmp(backend, "lava") != 0)) {
		lab_error("targets: %s: \"arch\" must be x86_64|arm64|s390x|riscv64 and "
			  "\"backend\" qemu|lava", path);
		goto put_root;
	}
	if (tags && !json_is_array(tags)) {
		lab_error("targets: %s: \"tags\" must be an array", path);
		goto put_root;
	}
	lava = json_object_get(root, "lava");
	t.name = (char *)name;
	t.arch = (char *)arch;
	t.backend = (char *)backend;
	t.vendor = (char *)json_string_value(json_object_get(root, "vendor"));
	t.driver = (char *)json_string_value(json_object_get(root, "driver"));
	t.device_type = (char *)json_string_value(json_object_get(lava, "device_type"));
	t.concurrency = (int)json_integer_value(json_object_get(root, "concurrency"));
	if (t.concurrency < 1 || t.concurrency > 64)
		t.concurrency = 1;
	t.definition = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	t.tags = json_dumps(tags ? tags : json_array(), JSON_COMPACT);
	if (!t.definition || !t.tags) {
		r = -ENOMEM;
		goto free_dumps;
	}
	r = lab_store_target_put(st, &t);
	if (r)
		lab_error("targets: %s: store: %s", path, strerror(-r));
free_dumps:
	free(t.definition);
	free(t.tags);
put_root:
	json_decref(root);
	return r;
}

int lab_targets_load(struct lab_store *st, const char *dir, int *loaded)
{
	char sub[4096], path[4096 + 256];
	struct dirent *a, *f;
	DIR *top, *d;
	int n = 0, bad = 0, r;

	top = opendir(dir);
	if (!top) {
		r = -errno;
		lab_error("targets: %s: %s", dir, strerror(errno));
		return r;
	}
	while ((a = readdir(top))) {
		if (a->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, a->d_name);
		d = opendir(sub);
		if (!d)
			continue;	/* a file at the top: not a target */
		while ((f = readdir(d))) {
			size_t l = strlen(f->d_name);

			if (f->d_name[0] == '.' || l < 6 || strcmp(f->d_name + l - 5, ".json"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, f->d_name);
			if (load_one(st, path, f->d_name))
				bad++;
			else
				n++;
		}
		closedir(d);
	}
	closedir(top);
	if (loaded)
		*loaded = n;
	return bad ? -EINVAL : 0;
}
