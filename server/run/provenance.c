/* SPDX-License-Identifier: GPL-2.0 */
/*
 * provenance.c - hashes, rig/boot's log lines, one store row (provenance.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "artifacts.h"
#include "log.h"
#include "provenance.h"
#include "store.h"
#include "store_provenance.h"

#define LINE_MAX_BYTES 16384	/* a QEMU command line with long paths fits */

int lab_provenance_sha256_file(const char *path, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c;
	ssize_t n;
	int fd, r = 0;

	if (!path || !*path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	c = EVP_MD_CTX_new();
	if (!c) {
		r = -ENOMEM;
		goto close_fd;
	}
	if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		r = -EIO;
		goto free_ctx;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(c, buf, (size_t)n)) {
			r = -EIO;
			goto free_ctx;
		}
	if (n < 0) {
		r = -errno;
		goto free_ctx;
	}
	if (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32) {
		r = -EIO;
		goto free_ctx;
	}
	for (unsigned int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
free_ctx:
	EVP_MD_CTX_free(c);
close_fd:
	close(fd);
	return r;
}

/* the text after @prefix on the last line of @path that starts with it
 * (malloc'd, no newline), or NULL */
static char *last_line_after(const char *path, const char *prefix)
{
	char *line, *found = NULL;
	size_t pl = strlen(prefix);
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	line = malloc(LINE_MAX_BYTES);
	if (!line) {
		fclose(f);
		return NULL;
	}
	while (fgets(line, LINE_MAX_BYTES, f)) {
		if (strncmp(line, prefix, pl))
			continue;
		line[strcspn(line, "\n")] = '\0';
		free(found);
		found = strdup(line + pl);
	}
	free(line);
	fclose(f);
	return found;
}

/* the value of " qemu=" on rig/boot's "boot ..." line or, in a LAVA job's
 * log, the version on rig/lava-qemu's "iommulab-boot: qemu V generation G" */
static char *qemu_version(const char *boot_log)
{
	char *boot = last_line_after(boot_log, "boot "), *p, *v = NULL;

	if (boot && (p = strstr(boot, " qemu="))) {
		p += 6;
		v = strndup(p, strcspn(p, " "));
	}
	free(boot);
	if (!v && (boot = last_line_after(boot_log, "iommulab-boot: qemu "))) {
		v = strndup(boot, strcspn(boot, " "));
		free(boot);
	}
	return v;
}

/* one hash slot: the file's SHA-256 into @hex, or NULL when unreadable */
static const char *hash_or_null(const char *path, char hex[65], const char *what, int64_t job)
{
	int r;

	if (!path || !*path)
		return NULL;
	r = lab_provenance_sha256_file(path, hex);
	if (r) {
		lab_warn("provenance: job %lld: %s %s: %s", (long long)job, what, path, strerror(-r));
		return NULL;
	}
	return hex;
}

int lab_provenance_note(const struct lab_run *run, const struct lab_artifacts *art,
			const char *boot_log)
{
	char hk[65], hi[65], ha[65], hm[65], ht[65], target_file[PATH_MAX];
	const struct lab_kernel *k = run->kernel;
	struct lab_provenance p = { 0 };
	char *args, *cmd, *ver;
	int r;

	/* the file rig/boot was given (backend_qemu.c start_boot()) */
	if (snprintf(target_file, sizeof(target_file), "%s/%s/%s.json", run->cfg->targets_dir,
		     run->target->arch, run->target->name) >= (int)sizeof(target_file))
		target_file[0] = '\0';
	args = last_line_after(boot_log, "iommulab-boot: args ");
	cmd = last_line_after(boot_log, "iommulab-boot: command ");
	ver = qemu_version(boot_log);
	p.job_id = run->job->id;
	p.top = run->cfg->top;
	p.cache_dir = run->cfg->cache_dir;
	p.kernel_source = k->source;
	p.kernel_ref = k->source_ref;
	p.kernel_release = art->release ? art->release : k->release;
	p.arch = run->target->arch;
	p.kernel_image = art->kernel;
	p.kernel_sha256 = hash_or_null(art->kernel, hk, "kernel", p.job_id);
	p.initrd = art->initrd;
	p.initrd_sha256 = hash_or_null(art->initrd, hi, "initramfs", p.job_id);
	p.agent = art->agent;
	p.agent_sha256 = hash_or_null(art->agent, ha, "agent", p.job_id);
	p.kmod = art->kmod;
	p.kmod_sha256 = hash_or_null(art->kmod, hm, "module", p.job_id);
	p.target_file = target_file;
	p.target_sha256 = hash_or_null(target_file, ht, "target", p.job_id);
	p.qemu_version = ver;
	p.boot_args = args;
	p.qemu_cmdline = cmd;
	r = lab_store_provenance_put(run->store, &p);
	if (r)
		lab_warn("provenance: job %lld: not recorded: %s", (long long)p.job_id, strerror(-r));
	free(args);
	free(cmd);
	free(ver);
	return r;
}
