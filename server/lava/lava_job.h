/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_job.h - build the LAVA job definition for one iommulab job.
 *
 * Purpose: (kernel, target, job, artifact URLs, callback) -> the template
 * variables of jobs/README.md -> a rendered job (lava_template.h). The
 * target file's "lava" object says how:
 *   "lava": {
 *     "device_type": "qemu",            LAVA device type (required)
 *     "template": "qemu",               jobs/templates/NAME.yaml.in; default
 *                                       "qemu" for device type qemu
 *     "lab": "local",                   optional: pin a lab (lava_client.h)
 *     "context": {"arch": "amd64"},     merged into the job context
 *     "console": "ttyS0",               kernel console (default by arch)
 *     "kernel_type": "image",           tftp kernel type (depthcharge/u-boot)
 *     "dtb": "https://.../board.dtb",   device tree URL (arm64 boards)
 *     "tags": ["iommu"]                 LAVA device tags
 *   }
 * For device type qemu the target's "qemu" object (the local runner's
 * machine, memory, args, append) becomes the job context: extra_options
 * "-accel tcg", "-cpu max" (x86/s390x), "-machine M" and the args, plus
 * no_kvm, memory; so a LAVA run boots the same machine rig/boot does (LAVA's
 * qemu device type adds its own -net nic/user and default VGA). The QEMU
 * generation (qemu.version, "7.2" by default, "10.0") cannot be chosen by a
 * job: LAVA's qemu type runs qemu-system-ARCH from the worker's PATH. A
 * device can (its dictionary overrides the command: jobs/devices/,
 * rig/lava-qemu), so the job carries the device tag "qemu-GEN" and the
 * metadata "iommulab.qemu": GEN; rig/lava-qemu prints the version that ran
 * on the console (backend_lava.c checks and records it).
 * The kernel command line is rig/boot's: "console=C panic=-1
 * iommulab.target=NAME <qemu.append>" + the job's iommulab.filter=,
 * iommulab.repeat=, iommulab.fault= + "iommulab.lava=1".
 *
 * Ownership: *@vars is a new reference (json_decref); *@yaml malloc'd.
 * Errors: 0 or -errno; -EINVAL with @err for a target or job that cannot
 * make a job (missing device type, unknown template, a value with a
 * character outside the allowed set), -ENOENT template file missing.
 */
#ifndef LAB_LAVA_JOB_H
#define LAB_LAVA_JOB_H

#include <stddef.h>
#include <jansson.h>

#include "store.h"

struct lab_lava_job_in {
	const struct lab_job *job;
	const struct lab_kernel *kernel;
	const struct lab_target *target;	/* ->definition: the target JSON */
	const char *kernel_url, *initrd_url;	/* file:// or http(s):// */
	const char *kernel_sha256, *initrd_sha256;	/* NULL = not checked */
	const char *callback_url;		/* NULL = no notify block */
	const char *callback_token_desc;
	const char *lab_name;			/* for the job name and metadata */
};

/* the variables and the template name ("qemu", ...; @tmpl 64 bytes) */
int lab_lava_job_vars(const struct lab_lava_job_in *in, json_t **vars,
		      char tmpl[64], char *err, size_t errlen);
/* vars + render jobs_dir/templates/<tmpl>.yaml.in */
int lab_lava_job_render(const char *jobs_dir, const struct lab_lava_job_in *in,
			char **yaml, char *err, size_t errlen);
/* the "lava" object's "lab" of a target definition, or NULL */
const char *lab_lava_job_target_lab(json_t *definition);
/* the QEMU generation target definition @definition needs ("7.2" default) */
const char *lab_lava_job_qemu_generation(json_t *definition);

#endif /* LAB_LAVA_JOB_H */
