/* SPDX-License-Identifier: GPL-2.0 */
/*
 * artifacts.c - preparation of a QEMU job's kernel and initramfs through the
 * rig's scripts. See artifacts.h for the contract.
 *
 * The child is /bin/sh running PREPARE_SCRIPT with every value passed as a
 * positional parameter: nothing from the store is ever pasted into shell
 * text, and names are checked by lab_artifacts_name_ok() besides (the one
 * name rule of names.h, which the API applied before).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifacts.h"
#include "names.h"
#include "proc.h"

/*
 * $1 top  $2 cache  $3 kernel (name or release)  $4 arch  $5 result file
 * $6 kernel image already known ("" = fetch)  $7 O (build dir)
 * $8 kernels/build --tree for a kernel the lab builds ("" = none)
 * $9 kernels/build --patches (a file or directory; "" = none)
 * ${10} the kernel's source, ${11} its source_ref, ${12} its sha256: a
 * kernel brought by its user (source "url": a URL; "local":
 * "deb=/a.deb;deb=/b.deb" or "image=/F;modules=/D;headers=/D[;config=/F]")
 * is laid out by kernels/import
 * ${13} this program (/proc/self/exe), whose `fetch` mode downloads
 * A kernel with a build recipe (source "build", source_ref "tree=...;
 * patches=...", see lab_artifacts_recipe) is built here by kernels/build,
 * which caches by hash: a second job finds it in about a second (always
 * asked, even when the image is known: a tree@ref that moved is rebuilt,
 * an evicted cache refilled). A series
 * first builds its unpatched base, so the candidate starts from its objects.
 */
static const char PREPARE_SCRIPT[] =
	"set -eu\n"
	"top=$1 CACHE=$2 kernel=$3 arch=$4 result=$5 image=$6 O=$7 btree=$8 bpatches=$9\n"
	"src=${10} sref=${11} ksha=${12} self=${13} kkey=\n"
	"export CACHE O\n"
	"cd \"$top\"\n"
	/* a deterministic failure: mark it (lab_artifacts_config_failed) so the
	 * job is not retried; the exit code stays the step's */
	"conf() { rc=$1; shift; echo \"prepare: configuration error: $*\" >&2; echo \"$*\" > \"$result.fail\"; exit $rc; }\n"
	"for t in jq make flock find; do\n"
	"  command -v $t >/dev/null || conf 127 \"missing tool '$t' (scripts/install-deps server)\"\n"
	"done\n"
	"mkdir -p \"$CACHE/state/locks\"\n"
	"exec 9>\"$CACHE/state/locks/artifacts-$kernel-$arch.lock\"\n"
	"flock 9\n"
	"t0=$(date +%s%N)\n"
	/* kernels/build: 1 build failure, 2 usage, 3 fragment, 4 patch does
	 * not apply, 5 unreadable series: all deterministic; a signal is not */
	"bfail() { case $1 in [1-5]) conf $1 \"kernels/build failed (exit $1): $2\" ;; esac\n"
	"  echo \"prepare: kernels/build failed (exit $1): $2\" >&2; exit $1; }\n"
	"if [ -n \"$btree\" ]; then\n"
	"  if [ -n \"$bpatches\" ]; then\n"
	"    echo \"prepare: kernels/build --tree $btree (the series' base)\"\n"
	"    kernels/build --tree \"$btree\" --arch \"$arch\" >/dev/null ||\n"
	"      { rc=$?; bfail $rc \"base $btree\"; }\n"
	"  fi\n"
	"  echo \"prepare: kernels/build --tree $btree${bpatches:+ --patches $bpatches} --name $kernel\"\n"
	"  kj=$(kernels/build --tree \"$btree\" ${bpatches:+--patches \"$bpatches\"} --arch \"$arch\" --name \"$kernel\") ||\n"
	"    { rc=$?; bfail $rc \"$btree${bpatches:+ + $bpatches}\"; }\n"
	"  release=$(jq -r .release \"$kj\")\n"
	"  image=$(jq -r '.vmlinux // .image // empty' \"$kj\")\n"
	"  [ -f \"$image\" ] || conf 1 \"$kj names no kernel image\"\n"
	/* bring your own kernel: kernels/import lays it out once in
	 * $CACHE/kernels/byo-<key>/ (a download once, checked), and answers
	 * from there at once later; exit 2 = the input is wrong */
	"elif [ \"$src\" = url ] || [ \"$src\" = local ]; then\n"
	"  if [ \"$src\" = url ]; then set -- --url \"$sref\" ${ksha:+--sha256 \"$ksha\"} --fetch \"$self\"\n"
	"  else set --; oifs=$IFS; IFS=';'; for p in $sref; do set -- \"$@\" \"--${p%%=*}\" \"${p#*=}\"; done; IFS=$oifs; fi\n"
	"  echo \"prepare: kernels/import --name $kernel --arch $arch $*\"\n"
	"  rc=0; kj=$(kernels/import --name \"$kernel\" --arch \"$arch\" \"$@\" 2>\"$result.ierr\") || rc=$?\n"
	"  cat \"$result.ierr\" >&2\n"
	"  if [ $rc != 0 ]; then [ $rc = 2 ] && conf 2 \"$(tail -n1 \"$result.ierr\")\"; exit $rc; fi\n"
	"  kkey=$(basename \"$(dirname \"$kj\")\")\n"
	"  release=$(jq -r .release \"$kj\")\n"
	"  image=$(jq -r '.vmlinux // .image // empty' \"$kj\")\n"
	"  [ -f \"$image\" ] || conf 1 \"$kj names no kernel image\"\n"
	"elif [ -n \"$image\" ] && [ -f \"$image\" ]; then\n"
	"  kkey=$(basename \"$(dirname \"$image\")\")\n"
	"  release=$(jq -r '.release // empty' \"$CACHE/kernels/$kkey/kernel.json\" 2>/dev/null || true)\n"
	"  release=${release:-$kkey}\n"
	"else\n"
	"  kj=$CACHE/kernels/$kernel/kernel.json\n"
	"  if [ -f \"$kj\" ]; then\n"	/* an exact release already unpacked */
	"    release=$(jq -r .release \"$kj\")\n"
	"  else\n"
	/* riscv64: Debian 12 has no kernel with the RISC-V IOMMU driver;
	 * sid's split packages (kernels/fetch-sid) */
	"    fetch=kernels/fetch-debian; [ \"$arch\" = riscv64 ] && fetch=kernels/fetch-sid\n"
	"    echo \"prepare: $fetch --kernel $kernel --arch $arch\"\n"
	/* exit 2: no such kernel (deterministic); 1: download/extract */
	"    release=$($fetch --kernel \"$kernel\" --arch \"$arch\") || { rc=$?;\n"
	"      [ $rc = 2 ] && conf 2 \"no kernel '$kernel' for $arch ($fetch exit 2)\"; exit $rc; }\n"
	"  fi\n"
	"  kj=$CACHE/kernels/$release/kernel.json\n"
	"  image=$(jq -r '.vmlinux // .image // empty' \"$kj\")\n"
	"  [ -f \"$image\" ] || conf 1 \"$kj names no kernel image\"\n"
	"fi\n"
	"kkey=${kkey:-$release}\n"	/* the kernel's dir in $CACHE/kernels */
	"echo \"prepare: kernel $release ($image)\"\n"
	"cross=\n"
	"case $arch in arm64) [ \"$(uname -m)\" = aarch64 ] || cross=aarch64-linux-gnu- ;;\n"
	"  s390x) [ \"$(uname -m)\" = s390x ] || cross=s390x-linux-gnu- ;;\n"
	"  riscv64) [ \"$(uname -m)\" = riscv64 ] || cross=riscv64-linux-gnu- ;; esac\n"
	"echo \"prepare: make -C agent${cross:+ CROSS_COMPILE=$cross}\"\n"
	/* one agent build at a time: it is shared by every kernel's lock */
	"flock \"$CACHE/state/locks/agent-build.lock\" make -s -C agent ${cross:+CROSS_COMPILE=$cross} ||\n"
	"  conf 1 \"the agent does not build (make -C agent${cross:+ CROSS_COMPILE=$cross})\"\n"
	"agent=$O/agent${cross:+/${cross%-}}/iommulab-agent\n"
	"[ -x \"$agent\" ] || conf 1 \"no agent binary $agent\"\n"
	/* kmods/Makefile: the module lands in $CACHE/kmods/<release>/; its
	 * make resolves the release again (seconds), so skip it when no
	 * source is newer than the module */
	"ko=$CACHE/kmods/$kkey/iommulab_probe.ko kmod_missing=\n"
	"blog=$CACHE/kmods/.$kkey.build.log\n"
	"if [ ! -f \"$ko\" ] || [ -n \"$(find kmods/iommulab_probe kmods/uapi kmods/Makefile -newer \"$ko\" 2>/dev/null | head -1)\" ]; then\n"
	"  echo \"prepare: make -C kmods KERNEL=$kkey ARCH=$arch module\"\n"
	"  mkdir -p \"$CACHE/kmods\"\n"
	/* release=: the release is resolved already; a lab-built
	 * kernel (kernels/build) has no Debian package to resolve it from.
	 * A module that does not build (missing tool, compiler too old for
	 * the kernel's flags, an API the module does not know) degrades the
	 * job: it boots without it and the kmod cases skip with the first
	 * lines of the error (mkinitramfs --kmod-missing); the result file's
	 * kmod_missing= makes it the job's warning */
	"  if ! make -s -C kmods KERNEL=\"$kkey\" release=\"$kkey\" ARCH=\"$arch\" module > \"$blog\" 2>&1; then\n"
	"    cat \"$blog\" >&2\n"
	"    rm -f \"$ko\"\n"
	"    kmod_missing=\"probe module build failed: $(kmods/build-reason \"$blog\")\"\n"
	"    echo \"prepare: warning: $kmod_missing (the kmod cases skip)\" >&2\n"
	"  else cat \"$blog\" >&2; fi\n"
	"fi\n"
	"if [ -n \"$kmod_missing\" ]; then ko=\n"
	"else [ -f \"$ko\" ] || { echo \"prepare: no module $ko\" >&2; exit 1; }; fi\n"
	"echo \"prepare: rig/mkinitramfs --kernel $release\"\n"
	"initrd=$(rig/mkinitramfs --kernel \"$kkey\" --arch \"$arch\" --agent \"$agent\" --kmod \"$ko\" ${kmod_missing:+--kmod-missing \"$kmod_missing\"})\n"
	"[ -f \"$initrd\" ] || { echo \"prepare: rig/mkinitramfs printed no image ($initrd)\" >&2; exit 1; }\n"
	"printf 'release=%s\\nkernel=%s\\ninitrd=%s\\nagent=%s\\nkmod=%s\\nkmod_missing=%s\\n' \"$release\" \"$image\" \"$initrd\" \"$agent\" \"$ko\" \"$kmod_missing\" > \"$result.tmp\"\n"
	"mv \"$result.tmp\" \"$result\"\n"
	"t1=$(( ($(date +%s%N) - t0) / 10000000 ))\n"
	"echo \"prepare: done in $((t1 / 100)).$((t1 / 10 % 10))$((t1 % 10))s: $initrd\"\n";

int lab_artifacts_recipe(const struct lab_kernel *k, char *tree, size_t tlen,
			 char *patches, size_t plen)
{
	const char *ref, *semi, *p;
	size_t n;

	*tree = *patches = '\0';
	if (!k->source || strcmp(k->source, "build") || !k->source_ref ||
	    strncmp(k->source_ref, "tree=", 5))
		return -ENOENT;
	ref = k->source_ref + 5;
	semi = strchr(ref, ';');
	n = semi ? (size_t)(semi - ref) : strlen(ref);
	if (n >= tlen || !lab_name_ok_n(LAB_NAME_TREE, ref, n))
		return -EINVAL;
	memcpy(tree, ref, n);
	tree[n] = '\0';
	if (!semi)
		return 0;
	if (strncmp(semi + 1, "patches=", 8))
		return -EINVAL;
	p = semi + 9;
	n = strlen(p);
	if (!strcmp(p, "none"))
		return 0;
	if (n >= plen || !lab_name_ok_n(LAB_NAME_PATH, p, n))
		return -EINVAL;
	memcpy(patches, p, n + 1);
	return 0;
}

bool lab_artifacts_name_ok(const char *s)
{
	/* the one name rule (names.h): a release, or a kernel name, which is
	 * no wider; the arch names fit it too */
	return lab_name_ok(LAB_NAME_RELEASE, s);
}

void lab_artifacts_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int lab_artifacts_argv(const struct lab_config *cfg, const struct lab_kernel *k,
		       const char *arch, const char *result_path,
		       char ***argv_out)
{
	const char *ref, *o;
	char tree[520], patches[1032], self[PATH_MAX];
	const char *src[20];
	ssize_t self_len;
	char **argv;
	size_t i, n = 0;
	int ret;

	/* a Debian kernel is fetched by its exact release when known */
	ref = k->release && *k->release ? k->release : k->name;
	if (!lab_artifacts_name_ok(ref) || !lab_artifacts_name_ok(arch))
		return -EINVAL;
	o = getenv("O");
	src[n++] = "/bin/sh";
	src[n++] = "-c";
	src[n++] = PREPARE_SCRIPT;
	src[n++] = "iommulab-prepare";	/* $0 */
	src[n++] = cfg->top;
	src[n++] = cfg->cache_dir;
	src[n++] = ref;
	src[n++] = arch;
	src[n++] = result_path;
	src[n++] = k->image_path ? k->image_path : "";
	src[n++] = o && *o == '/' ? o : "";
	ret = lab_artifacts_recipe(k, tree, sizeof(tree), patches, sizeof(patches));
	if (ret && ret != -ENOENT)
		return ret;
	src[n++] = tree;
	src[n++] = patches;
	/* bring your own kernel (source url / local, kernels/import) */
	src[n++] = k->source ? k->source : "";
	src[n++] = k->source_ref ? k->source_ref : "";
	src[n++] = k->sha256 ? k->sha256 : "";
	self_len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[self_len > 0 ? self_len : 0] = '\0';
	src[n++] = self;	/* `iommulabd fetch` downloads for it */
	src[n] = NULL;

	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		argv[i] = strdup(src[i]);
		if (!argv[i])
			goto err_free_argv;
	}
	if (!*argv[10]) {	/* no $O: the default build dir under top */
		free(argv[10]);
		if (asprintf(&argv[10], "%s/build", cfg->top) < 0) {
			argv[10] = NULL;
			goto err_free_argv;
		}
	}
	*argv_out = argv;
	return 0;

err_free_argv:
	lab_artifacts_argv_free(argv);
	return -ENOMEM;
}

void lab_artifacts_clear(struct lab_artifacts *a)
{
	free(a->release);
	free(a->kernel);
	free(a->initrd);
	free(a->agent);
	free(a->kmod);
	free(a->kmod_missing);
	a->release = a->kernel = a->initrd = a->agent = a->kmod = a->kmod_missing = NULL;
}

int lab_artifacts_read(const char *result_path, struct lab_artifacts *out)
{
	char line[4096 + 32];
	FILE *f;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	f = fopen(result_path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char **slot = NULL;
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(line, "release"))
			slot = &out->release;
		else if (!strcmp(line, "kernel"))
			slot = &out->kernel;
		else if (!strcmp(line, "initrd"))
			slot = &out->initrd;
		else if (!strcmp(line, "agent"))
			slot = &out->agent;
		else if (!strcmp(line, "kmod") && eq[1])	/* "": no module */
			slot = &out->kmod;
		else if (!strcmp(line, "kmod_missing") && eq[1])
			slot = &out->kmod_missing;
		if (!slot)
			continue;
		free(*slot);
		*slot = strdup(eq + 1);
		if (!*slot) {
			ret = -ENOMEM;
			break;
		}
	}
	fclose(f);
	if (!ret && (!out->kernel || !*out->kernel || !out->initrd || !*out->initrd))
		ret = -EBADMSG;
	if (ret)
		lab_artifacts_clear(out);
	return ret;
}

bool lab_artifacts_config_failed(const char *result_path, int exit_code,
				 char *what, size_t what_len)
{
	char path[4096 + 8];
	FILE *f;

	*what = '\0';
	if (snprintf(path, sizeof(path), "%s.fail", result_path) >= (int)sizeof(path))
		return false;
	f = fopen(path, "re");
	if (f) {
		if (!fgets(what, (int)what_len, f))
			*what = '\0';
		what[strcspn(what, "\n")] = '\0';
		fclose(f);
		return true;
	}
	if (exit_code == 127) {
		snprintf(what, what_len, "a command the preparation runs was not found (exit 127)");
		return true;
	}
	return false;
}

int lab_artifacts_start(const struct lab_config *cfg, const struct lab_kernel *k,
			const char *arch, const char *result_path, const char *log_path,
			pid_t *pid_out, char *reason, size_t reason_len)
{
	char fail[4096 + 8];
	char **argv;
	int ret;

	unlink(result_path);
	if (snprintf(fail, sizeof(fail), "%s.fail", result_path) < (int)sizeof(fail))
		unlink(fail);
	ret = lab_artifacts_argv(cfg, k, arch, result_path, &argv);
	if (ret) {
		snprintf(reason, reason_len, "cannot prepare kernel '%.64s' for %.16s: %s",
			 k->name, arch, strerror(-ret));
		return ret;
	}
	ret = lab_proc_spawn_group(argv, log_path, pid_out);
	lab_artifacts_argv_free(argv);
	if (ret)
		snprintf(reason, reason_len, "cannot start artifact preparation: %s",
			 strerror(-ret));
	return ret;
}
