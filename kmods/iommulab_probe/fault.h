/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault.h - IOMMULAB_OP_FAULT: real kernel WARN/oops/panic on request, for
 * testing the lab's crash detection (kmods/uapi/iommulab_probe.h).
 */
#ifndef LAB_FAULT_H
#define LAB_FAULT_H

struct iommulab_probe_cmd;

/* 0 when carried out (WARN), -EPERM without fault_ops=1, -EINVAL on a bad kind; OOPS/PANIC do not return */
int lab_op_fault(struct iommulab_probe_cmd *cmd);

#endif
