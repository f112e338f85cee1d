// SPDX-License-Identifier: GPL-2.0
/*
 * fault.c - the test-only fault switch of /dev/iommulab_probe (see fault.h).
 *
 * Invariants: nothing happens unless the module was loaded with
 * fault_ops=1 (read-only after load, visible in
 * /sys/module/iommulab_probe/parameters/fault_ops); the ioctl calls this
 * without holding any lock of the module, so an oops here leaves the
 * module's state usable by other files; the NULL pointer is read through a
 * volatile so the compiler cannot drop or trap the access itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "iommulab_probe.h"

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "fault.h"

static bool fault_ops;
module_param(fault_ops, bool, 0444);
MODULE_PARM_DESC(fault_ops, "TEST ONLY: allow IOMMULAB_OP_FAULT (WARN, oops, panic on request)");

static int *volatile lab_fault_null;

int lab_op_fault(struct iommulab_probe_cmd *cmd)
{
	if (!fault_ops)
		return -EPERM;
	if (cmd->fault.__reserved)
		return -EINVAL;
	switch (cmd->fault.kind) {
	case IOMMULAB_FAULT_WARN:
		WARN(1, "iommulab_probe: fault op: WARN on request (fault_ops=1)\n");
		cmd->result = 0;
		return 0;
	case IOMMULAB_FAULT_OOPS:
		pr_emerg("fault op: NULL dereference on request (fault_ops=1)\n");
		*lab_fault_null = 0x1ab;
		return -EFAULT;	/* not reached */
	case IOMMULAB_FAULT_PANIC:
		panic("iommulab_probe: fault op: panic on request (fault_ops=1)");
	}
	return -EINVAL;
}
