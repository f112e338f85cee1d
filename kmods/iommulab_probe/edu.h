/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edu.h - drive QEMU's "edu" PCI device (1234:11e8) as a DMA engine, to
 * prove that a device really translates through an IOMMU domain.
 *
 * How the module reaches the device: it does NOT bind a driver to edu (so
 * vfio-pci stays free to bind it for the VFIO cases). For one check it
 * enables the unbound device, reserves BAR0 under the module's name (this
 * also serialises concurrent checks on one device), maps BAR0, runs two DMA
 * transfers and then undoes all of it (disable, release, clear bus master).
 * A device that has any driver bound is left alone (-EBUSY).
 *
 * Error convention: 0 or -errno.
 */
#ifndef LAB_PROBE_EDU_H
#define LAB_PROBE_EDU_H

#include <linux/pci.h>

#define LAB_EDU_VENDOR	0x1234
#define LAB_EDU_DEVICE	0x11e8
/* bytes moved per transfer: well inside edu's 4 KiB buffer (QEMU's range
 * check rejects a transfer that ends exactly at the buffer's end by
 * aborting the whole VM, so never use the full buffer) */
#define LAB_EDU_XFER	2048

static inline bool lab_edu_match(struct pci_dev *pdev)
{
	return pdev->vendor == LAB_EDU_VENDOR && pdev->device == LAB_EDU_DEVICE;
}

/*
 * lab_edu_roundtrip - DMA LAB_EDU_XFER bytes from bus address @src into the
 * edu buffer, then from the edu buffer to bus address @dst.
 * Returns 0 when both transfers completed (whether data arrived is for the
 * caller to compare), -EBUSY when a driver or another check holds the device,
 * -ENODEV when BAR0 is not an edu, -ETIMEDOUT when a transfer never finished,
 * or the errno of pci_enable_device().
 */
int lab_edu_roundtrip(struct pci_dev *pdev, u64 src, u64 dst);

#endif /* LAB_PROBE_EDU_H */
