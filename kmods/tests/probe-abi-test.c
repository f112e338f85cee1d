/*
 * probe-abi-test.c - in-guest test of the iommulab_probe module's ABI.
 *
 * Purpose: runs inside the test initramfs in place of the agent
 * (rig/mkinitramfs --agent probe-abi-test). It checks that the module rejects
 * malformed commands with the documented errnos, that the basic op sequence
 * (alloc, map, attach, ident, DMA check, detach) works on a QEMU edu device,
 * that closing a file with domains still attached and then unloading the
 * module leaves the kernel log free of BUG/WARNING, and (with --probes, or
 * iommulab.probes=1 on the kernel command line) prints what the kernel
 * returns for the core errno probes of the lab as "# probe" lines.
 *
 * Output: KTAP on stdout, one "ok N name" / "not ok N name # why" per check,
 * then "# probe-abi-test: P passed, F failed, S skipped". Exit 0 when nothing
 * failed. Every check asserts something that can fail; a missing edu device
 * or group is a SKIP with the reason.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iommulab_probe.h"

#define MAX_TESTS 64
#define DMA_IOVA 0x200000ULL	/* below edu's default 28-bit DMA mask */

static int n_ok, n_fail, n_skip, n_test;
static char lines[MAX_TESTS][200];

static void report(int ok, const char *name, const char *fmt, ...)
{
	char why[120] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (n_test >= MAX_TESTS)
		return;
	n_test++;
	if (ok > 0)
		n_ok++;
	else if (ok == 0)
		n_fail++;
	else
		n_skip++;
	if (ok > 0)
		why[0] = '\0';	/* KTAP: text after '#' is a directive or a reason */
	snprintf(lines[n_test - 1], sizeof(lines[0]), "%s %d %s%s%s",
		 ok ? "ok" : "not ok", n_test, name,
		 ok < 0 ? " # SKIP " : (why[0] ? " # " : ""), why);
	/* print at once so a crash still leaves the lines before it */
	printf("%s\n", lines[n_test - 1]);
	fflush(stdout);
}

static const char *ename(int e)
{
	static char buf[16];

	switch (e < 0 ? -e : e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	}
	snprintf(buf, sizeof(buf), "E%d", e < 0 ? -e : e);
	return buf;
}

/* cmd_do - issue one command; returns 0 or -errno of the ioctl itself */
static int cmd_do(int fd, struct iommulab_probe_cmd *c)
{
	if (!c->size)
		c->size = sizeof(*c);
	return ioctl(fd, IOMMULAB_PROBE_CMD, c) ? -errno : 0;
}

static void cmd_init(struct iommulab_probe_cmd *c, unsigned int op, const char *dev)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->op = op;
	if (dev) {
		c->dev.bus = IOMMULAB_BUS_PCI;
		memcpy(c->dev.name, dev, strnlen(dev, sizeof(c->dev.name) - 1));
	}
}

/* expect the ioctl itself to fail with @want */
static void expect_ioctl(int fd, const char *name, struct iommulab_probe_cmd *c, int want)
{
	int r = cmd_do(fd, c);

	if (r == -want)
		report(1, name, NULL);
	else
		report(0, name, "ioctl %s, want %s", ename(r), ename(want));
}

/* ---- devices --------------------------------------------------------- */

struct edu {
	char name[32];
	int group;		/* iommu group id, -1 none */
	unsigned int group_devs;
	char driver[48];
};

static struct edu edus[8];
static int n_edu;

static int read_hex(const char *dir, const char *file, unsigned int *v)
{
	char p[320], buf[32];
	FILE *f;
	int ok;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "r");
	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	*v = (unsigned int)strtoul(buf, NULL, 16);
	return 0;
}

static void find_edus(int fd)
{
	struct iommulab_probe_cmd c;
	struct dirent *de;
	char p[300];
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return;
	while ((de = readdir(d)) && n_edu < 8) {
		unsigned int ven = 0, dev = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", de->d_name);
		if (read_hex(p, "vendor", &ven) || read_hex(p, "device", &dev))
			continue;
		if (ven != 0x1234 || dev != 0x11e8)
			continue;
		cmd_init(&c, IOMMULAB_OP_DEV_INFO, de->d_name);
		if (cmd_do(fd, &c))
			continue;
		snprintf(edus[n_edu].name, sizeof(edus[0].name), "%.31s", de->d_name);
		edus[n_edu].group = c.dev_info.group_id;
		edus[n_edu].group_devs = c.dev_info.group_devices;
		snprintf(edus[n_edu].driver, sizeof(edus[0].driver), "%s", c.dev_info.driver);
		n_edu++;
	}
	closedir(d);
}

/* an edu alone in its group (the plain attach_dev case), or NULL */
static const struct edu *edu_single(int skip)
{
	int i;

	for (i = 0; i < n_edu; i++)
		if (edus[i].group >= 0 && edus[i].group_devs == 1 && skip-- == 0)
			return &edus[i];
	return NULL;
}

/* ---- small op helpers (return the ioctl error; *res gets the result) --- */

static int dom_alloc(int fd, const char *dev, uint32_t *h, uint64_t *ident, int *res)
{
	struct iommulab_probe_cmd c;
	int r;

	cmd_init(&c, IOMMULAB_OP_DOMAIN_ALLOC, dev);
	r = cmd_do(fd, &c);
	*res = c.result;
	*h = c.domain.handle;
	if (ident)
		*ident = c.domain.ident;
	return r;
}

static int op_h(int fd, unsigned int op, const char *dev, uint32_t h, int *res)
{
	struct iommulab_probe_cmd c;
	int r;

	cmd_init(&c, op, dev);
	c.attach.handle = h;	/* attach/domain/dma/map all start with the handle */
	r = cmd_do(fd, &c);
	*res = c.result;
	return r;
}

static int op_map(int fd, unsigned int op, uint32_t h, uint64_t iova, uint64_t len,
		  int *res, uint64_t *out_len)
{
	struct iommulab_probe_cmd c;
	int r;

	cmd_init(&c, op, NULL);
	c.map.handle = h;
	c.map.iova = iova;
	c.map.length = len;
	c.map.prot = IOMMULAB_PROT_READ | IOMMULAB_PROT_WRITE;
	r = cmd_do(fd, &c);
	*res = c.result;
	if (out_len)
		*out_len = c.map.length;
	return r;
}

static int dma_check(int fd, const char *dev, uint32_t h, uint64_t iova, int *res)
{
	struct iommulab_probe_cmd c;
	int r;

	cmd_init(&c, IOMMULAB_OP_DMA_CHECK, dev);
	c.dma.handle = h;
	c.dma.iova = iova;
	r = cmd_do(fd, &c);
	*res = c.result;
	return r;
}

/* ---- the checks ---------------------------------------------------------- */

static void test_malformed(int fd)
{
	struct iommulab_probe_cmd c;
	struct { struct iommulab_probe_cmd c; uint8_t tail[16]; } big;
	struct utsname u;
	int r;

	cmd_init(&c, IOMMULAB_OP_VERSION, NULL);
	r = cmd_do(fd, &c);
	uname(&u);
	if (r || c.result || c.version.abi != IOMMULAB_PROBE_ABI_VERSION)
		report(0, "abi.version", "ioctl %s result %d abi %u", ename(r), c.result, c.version.abi);
	else if (strcmp(c.version.release, u.release))
		report(0, "abi.version", "built for %s, running %s", c.version.release, u.release);
	else
		report(1, "abi.version", NULL);
	printf("# module: abi %u features 0x%x release %s\n", c.version.abi,
	       c.version.kernel_features, c.version.release);

	cmd_init(&c, IOMMULAB_OP_VERSION, NULL);
	c.size = sizeof(c) - 8;
	expect_ioctl(fd, "abi.size_short", &c, EINVAL);

	memset(&big, 0, sizeof(big));
	cmd_init(&big.c, IOMMULAB_OP_VERSION, NULL);
	big.c.size = sizeof(big);
	r = cmd_do(fd, &big.c);
	report(r == 0 && big.c.version.abi == IOMMULAB_PROBE_ABI_VERSION, "abi.size_long_zero",
	       r ? "ioctl %s" : NULL, ename(r));
	big.tail[9] = 1;
	expect_ioctl(fd, "abi.size_long_nonzero", &big.c, E2BIG);

	cmd_init(&c, 0, NULL);
	expect_ioctl(fd, "abi.op_zero", &c, EOPNOTSUPP);
	cmd_init(&c, 4242, NULL);
	expect_ioctl(fd, "abi.op_unknown", &c, EOPNOTSUPP);

	cmd_init(&c, IOMMULAB_OP_VERSION, NULL);
	c.__reserved = 1;
	expect_ioctl(fd, "abi.reserved_cmd", &c, EINVAL);
	cmd_init(&c, IOMMULAB_OP_DEV_INFO, "0000:00:00.0");
	c.dev.__reserved = 1;
	expect_ioctl(fd, "abi.reserved_dev", &c, EINVAL);

	cmd_init(&c, IOMMULAB_OP_DOMAIN_FREE, NULL);
	c.domain.handle = 77;
	expect_ioctl(fd, "abi.bad_handle_free", &c, ENOENT);
	cmd_init(&c, IOMMULAB_OP_MAP, NULL);
	c.map.handle = 0;
	c.map.length = 4096;
	expect_ioctl(fd, "abi.bad_handle_map", &c, ENOENT);

	cmd_init(&c, IOMMULAB_OP_DEV_INFO, "0000:ff:1f.7");
	expect_ioctl(fd, "abi.unknown_device", &c, ENODEV);
	cmd_init(&c, IOMMULAB_OP_DEV_INFO, "0000:00:00.0");
	c.dev.bus = 9;
	expect_ioctl(fd, "abi.bad_bus", &c, EINVAL);
	cmd_init(&c, IOMMULAB_OP_DEV_INFO, NULL);
	c.dev.bus = IOMMULAB_BUS_PCI;
	memset(c.dev.name, 'a', sizeof(c.dev.name));
	expect_ioctl(fd, "abi.name_unterminated", &c, EINVAL);

	r = ioctl(fd, _IO(IOMMULAB_PROBE_TYPE, 0x81), &c) ? -errno : 0;
	report(r == -ENOTTY, "abi.bad_ioctl_nr", r == -ENOTTY ? NULL : "got %s", ename(r));

	/*
	 * The test-only fault op: without fault_ops=1 (how this test loads the
	 * module) every kind is refused before it does anything, even a bad one.
	 */
	cmd_init(&c, IOMMULAB_OP_FAULT, NULL);
	c.fault.kind = IOMMULAB_FAULT_PANIC;
	expect_ioctl(fd, "abi.fault_without_param.panic", &c, EPERM);
	cmd_init(&c, IOMMULAB_OP_FAULT, NULL);
	c.fault.kind = IOMMULAB_FAULT_OOPS;
	expect_ioctl(fd, "abi.fault_without_param.oops", &c, EPERM);
	cmd_init(&c, IOMMULAB_OP_FAULT, NULL);
	c.fault.kind = IOMMULAB_FAULT_WARN;
	expect_ioctl(fd, "abi.fault_without_param.warn", &c, EPERM);
	cmd_init(&c, IOMMULAB_OP_FAULT, NULL);
	c.fault.kind = 99;
	expect_ioctl(fd, "abi.fault_without_param.bad_kind", &c, EPERM);
	/* HWPT_IDENT exists only with iommufd's internals (a lab kernel's full
	 * tree and /dev/iommu); there an fd that is no iommufd is EBADF */
	cmd_init(&c, IOMMULAB_OP_HWPT_IDENT, NULL);
	c.hwpt.iommufd = -1;
	expect_ioctl(fd, "abi.hwpt_ident", &c, access("/dev/iommu", F_OK) ? EOPNOTSUPP : EBADF);
}

static void test_ops(int fd)
{
	const struct edu *e = edu_single(0);
	struct iommulab_probe_cmd c;
	uint64_t ident = 0, len = 0;
	int r, res;
	uint32_t h;

	if (!e) {
		report(-1, "ops.sequence", "no edu device alone in an IOMMU group");
		return;
	}
	printf("# edu %s group %d driver %s\n", e->name, e->group, e->driver);
	report(e->driver[0] != '\0', "ops.dev_info_driver", e->driver[0] ? NULL : "empty driver name");

	r = dom_alloc(fd, e->name, &h, &ident, &res);
	if (r || res || !h || !ident) {
		report(0, "ops.domain_alloc", "ioctl %s result %s handle %u", ename(r), ename(res), h);
		return;
	}
	report(1, "ops.domain_alloc", NULL);
	/*
	 * attach before the first MAP: virtio-iommu in 6.12 finalises a domain
	 * only at attach, and MAP on a never-attached domain oopses there
	 * (NULL viommu in viommu_sync_req on iommu_map's error path)
	 */
	r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, e->name, h, &res);
	report(!r && !res, "ops.attach_dev", "ioctl %s result %s", ename(r), ename(res));
	r = op_map(fd, IOMMULAB_OP_MAP, h, 0x100000, 4096, &res, NULL);
	report(!r && !res, "ops.map", "ioctl %s result %s", ename(r), ename(res));
	r = op_map(fd, IOMMULAB_OP_UNMAP, h, 0x100000, 4096, &res, &len);
	report(!r && !res && len == 4096, "ops.unmap", "ioctl %s result %s len %llu",
	       ename(r), ename(res), (unsigned long long)len);
	cmd_init(&c, IOMMULAB_OP_DOMAIN_IDENT, e->name);
	r = cmd_do(fd, &c);
	report(!r && c.current.handle == h && c.current.ident == ident, "ops.domain_ident",
	       "handle %u ident match %d", c.current.handle, c.current.ident == ident);

	r = dma_check(fd, e->name, h, DMA_IOVA, &res);
	report(!r && !res, "ops.dma_check_attached", "ioctl %s result %s", ename(r), ename(res));

	r = op_h(fd, IOMMULAB_OP_DETACH_DEV, e->name, h, &res);
	report(!r && !res, "ops.detach_dev", "ioctl %s result %s", ename(r), ename(res));
	cmd_init(&c, IOMMULAB_OP_DOMAIN_IDENT, e->name);
	r = cmd_do(fd, &c);
	report(!r && c.current.handle == 0 && c.current.ident != ident, "ops.ident_after_detach",
	       "handle %u", c.current.handle);
	/* back in its DMA-API domain: the IOVA is not mapped there */
	r = dma_check(fd, e->name, h, DMA_IOVA, &res);
	report(!r && res == -EIO, "ops.dma_check_detached", "ioctl %s result %s, want EIO",
	       ename(r), ename(res));
	r = op_h(fd, IOMMULAB_OP_DETACH_DEV, e->name, h, &res);
	report(r == -ENOENT, "ops.detach_twice", "ioctl %s, want ENOENT", ename(r));
	r = op_h(fd, IOMMULAB_OP_RELEASE_DMA_OWNER, e->name, 0, &res);
	report(r == -ENOENT, "ops.release_unclaimed", "ioctl %s, want ENOENT", ename(r));

	cmd_init(&c, IOMMULAB_OP_DOMAIN_FREE, NULL);
	c.domain.handle = h;
	r = cmd_do(fd, &c);
	report(!r && !c.result, "ops.domain_free", "ioctl %s", ename(r));
	r = op_map(fd, IOMMULAB_OP_MAP, h, 0x100000, 4096, &res, NULL);
	report(r == -ENOENT, "ops.handle_after_free", "ioctl %s, want ENOENT", ename(r));
}

/* a child leaves domains attached, mapped and DMA-owned, then just exits */
static void test_leak_on_close(void)
{
	const struct edu *e1 = edu_single(0), *e2 = edu_single(1);
	int st, fd, res;
	uint32_t h;
	pid_t pid;

	if (!e1 || !e2) {
		report(-1, "close.releases_all", "needs two edu devices in separate groups");
		return;
	}
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/" IOMMULAB_PROBE_DEVNAME, O_RDWR);
		if (fd < 0)
			_exit(2);
		if (dom_alloc(fd, e1->name, &h, NULL, &res) || res)
			_exit(3);
		if (op_h(fd, IOMMULAB_OP_ATTACH_DEV, e1->name, h, &res) || res)
			_exit(5);
		if (op_map(fd, IOMMULAB_OP_MAP, h, 0x100000, 8192, &res, NULL) || res)
			_exit(4);
		if (op_h(fd, IOMMULAB_OP_CLAIM_DMA_OWNER, e2->name, 0, &res) || res)
			_exit(6);
		if (dom_alloc(fd, e2->name, &h, NULL, &res) || res)
			_exit(7);
		if (op_h(fd, IOMMULAB_OP_ATTACH_GROUP, e2->name, h, &res) || res)
			_exit(8);
		_exit(0);	/* no cleanup: the module's release must do it */
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		report(0, "close.releases_all", "fork/wait failed");
		return;
	}
	report(WIFEXITED(st) && WEXITSTATUS(st) == 0, "close.setup", "child exit %d",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* both devices must be back in a domain that is not the module's */
	fd = open("/dev/" IOMMULAB_PROBE_DEVNAME, O_RDWR);
	if (fd >= 0) {
		struct iommulab_probe_cmd c;
		int ok;

		cmd_init(&c, IOMMULAB_OP_DOMAIN_IDENT, e1->name);
		ok = !cmd_do(fd, &c) && c.current.ident && c.current.type != 0;
		cmd_init(&c, IOMMULAB_OP_CLAIM_DMA_OWNER, e2->name);
		ok = ok && !cmd_do(fd, &c) && c.result == 0;	/* claim was released */
		report(ok, "close.releases_all", ok ? NULL : "domain/ownership not released");
		close(fd);
	}
}

/* kmsg_open - /dev/kmsg positioned at its end: later reads see only new lines */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static void test_unload(int kmsg)
{
	char rec[2048];
	ssize_t n;
	int bad = 0;

	if (syscall(SYS_delete_module, "iommulab_probe", O_NONBLOCK)) {
		report(0, "unload.rmmod", "delete_module: %s", strerror(errno));
		return;
	}
	report(access("/dev/" IOMMULAB_PROBE_DEVNAME, F_OK) != 0, "unload.rmmod",
	       "device node still present");
	if (kmsg < 0) {
		report(-1, "unload.dmesg_clean", "no /dev/kmsg");
		return;
	}
	/* one record per read; EAGAIN at the end, EPIPE when records were lost */
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, "BUG") || strstr(rec, "WARNING") || strstr(rec, "Oops") ||
		    strstr(rec, "iommulab_probe: unmap")) {
			printf("# dmesg: %s", rec);
			bad++;
		}
	}
	report(!bad, "unload.dmesg_clean", "%d BUG/WARNING line(s) since the test started", bad);
	close(kmsg);
}

/* ---- probes: print what the kernel says (not asserted) ------------------ */

static void probe_line(const char *name, const char *what, int r, int res)
{
	if (r)
		printf("# probe %-28s ioctl-error %s (%s)\n", name, ename(r), what);
	else
		printf("# probe %-28s %s (%s)\n", name, ename(res), what);
}

static void probes(int fd)
{
	const struct edu *e = edu_single(0), *e2 = edu_single(1);
	int i, r, res;
	uint32_t h1, h2;

	if (!e) {
		printf("# probes: no single-device edu group\n");
		return;
	}
	/* coherency on an empty domain, then attach */
	r = dom_alloc(fd, e->name, &h1, NULL, &res);
	if (!r && !res) {
		r = op_h(fd, IOMMULAB_OP_ENFORCE_COHERENCY, NULL, h1, &res);
		probe_line("enforce_coherency.empty", e->name, r, res);
		r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, e->name, h1, &res);
		probe_line("enforce_coherency.attach", e->name, r, res);
		op_h(fd, IOMMULAB_OP_DETACH_DEV, e->name, h1, &res);
		op_h(fd, IOMMULAB_OP_DOMAIN_FREE, NULL, h1, &res);
	}
	/* a mapping above 2^39 before attach (oopses virtio-iommu 6.12: see test_ops) */
	if (!strcmp(e->driver, "virtio-iommu"))
		printf("# probe aw.*: not run on virtio-iommu (MAP before attach oopses 6.12)\n");
	else if (!dom_alloc(fd, e->name, &h1, NULL, &res) && !res) {
		r = op_map(fd, IOMMULAB_OP_MAP, h1, 1ULL << 40, 4096, &res, NULL);
		probe_line("aw.map_above_2^39", e->name, r, res);
		r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, e->name, h1, &res);
		probe_line("aw.attach_after_high_map", e->name, r, res);
		op_h(fd, IOMMULAB_OP_DETACH_DEV, e->name, h1, &res);
		op_h(fd, IOMMULAB_OP_DOMAIN_FREE, NULL, h1, &res);
	}
	/* second domain on an attached device */
	if (!dom_alloc(fd, e->name, &h1, NULL, &res) && !res &&
	    !dom_alloc(fd, e->name, &h2, NULL, &res) && !res) {
		r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, e->name, h1, &res);
		probe_line("attach.first", e->name, r, res);
		r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, e->name, h2, &res);
		probe_line("attach.second_domain", e->name, r, res);
		r = dma_check(fd, e->name, h1, DMA_IOVA, &res);
		probe_line("attach.dma_check_first", e->name, r, res);
		if (e2) {
			r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, e2->name, h1, &res);
			probe_line("attach.reuse_other_group", e2->name, r, res);
			r = dma_check(fd, e2->name, h1, DMA_IOVA + 0x10000, &res);
			probe_line("attach.reuse_dma_check", e2->name, r, res);
			op_h(fd, IOMMULAB_OP_DETACH_DEV, e2->name, h1, &res);
		}
		op_h(fd, IOMMULAB_OP_DETACH_DEV, e->name, h1, &res);
		op_h(fd, IOMMULAB_OP_DOMAIN_FREE, NULL, h1, &res);
		op_h(fd, IOMMULAB_OP_DOMAIN_FREE, NULL, h2, &res);
	}
	/* multi-device group and device without a group */
	for (i = 0; i < n_edu; i++) {
		const struct edu *m = &edus[i];
		const char *what = m->group < 0 ? "no_group" : m->group_devs > 1 ? "multi_group" : NULL;
		char name[64];

		if (!what)
			continue;
		r = dom_alloc(fd, m->name, &h1, NULL, &res);
		snprintf(name, sizeof(name), "%s.domain_alloc", what);
		probe_line(name, m->name, r, res);
		if (r || res)
			continue;
		r = op_h(fd, IOMMULAB_OP_ATTACH_DEV, m->name, h1, &res);
		snprintf(name, sizeof(name), "%s.attach_dev", what);
		probe_line(name, m->name, r, res);
		if (!r && !res)
			op_h(fd, IOMMULAB_OP_DETACH_DEV, m->name, h1, &res);
		if (m->group >= 0) {
			r = op_h(fd, IOMMULAB_OP_ATTACH_GROUP, m->name, h1, &res);
			snprintf(name, sizeof(name), "%s.attach_group", what);
			probe_line(name, m->name, r, res);
			if (!r && !res)
				op_h(fd, IOMMULAB_OP_DETACH_GROUP, m->name, h1, &res);
		}
		op_h(fd, IOMMULAB_OP_DOMAIN_FREE, NULL, h1, &res);
	}
}

static int cmdline_has(const char *word)
{
	char buf[4096];
	int fd, n;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, word) != NULL;
}

int main(int argc, char **argv)
{
	int fd, i, kmsg, want_probes = cmdline_has("iommulab.probes=1");

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--probes")) {
			want_probes = 1;
		} else {
			fprintf(stderr, "usage: %s [--probes]\n"
				"  in-guest ABI test of /dev/%s; KTAP on stdout\n",
				argv[0], IOMMULAB_PROBE_DEVNAME);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	printf("KTAP version 1\n# probe-abi-test\n");
	kmsg = kmsg_open();
	fd = open("/dev/" IOMMULAB_PROBE_DEVNAME, O_RDWR);
	if (fd < 0) {
		printf("not ok 1 abi.open # /dev/%s: %s\n", IOMMULAB_PROBE_DEVNAME, strerror(errno));
		printf("# probe-abi-test: 0 passed, 1 failed, 0 skipped\n");
		return 1;
	}
	find_edus(fd);
	for (i = 0; i < n_edu; i++)
		printf("# edu %s group %d devices %u driver '%s'\n", edus[i].name,
		       edus[i].group, edus[i].group_devs, edus[i].driver);
	test_malformed(fd);
	test_ops(fd);
	if (want_probes)
		probes(fd);
	close(fd);
	test_leak_on_close();
	test_unload(kmsg);
	printf("1..%d\n", n_test);
	printf("# probe-abi-test: %d passed, %d failed, %d skipped\n", n_ok, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
