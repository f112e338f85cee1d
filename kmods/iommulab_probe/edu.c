// SPDX-License-Identifier: GPL-2.0
/*
 * edu.c - QEMU edu device as a DMA engine (see edu.h for the contract).
 *
 * edu register map used here (QEMU hw/misc/edu.c, 64-bit accesses allowed
 * from 0x80): 0x00 identification (low byte 0xed), 0x80 DMA source,
 * 0x88 DMA destination, 0x90 byte count, 0x98 command (bit0 start/busy,
 * bit1 direction: 0 = RAM to edu, 1 = edu to RAM, bit2 raise irq). The edu
 * buffer lives at device address 0x40000. A transfer completes on a 100 ms
 * virtual-clock timer, after which bit0 reads back as 0.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/pci.h>

#include "edu.h"

#define EDU_REG_ID	0x00
#define EDU_REG_SRC	0x80
#define EDU_REG_DST	0x88
#define EDU_REG_CNT	0x90
#define EDU_REG_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000ULL
#define EDU_TIMEOUT_MS	3000

static int edu_xfer(void __iomem *bar, u64 src, u64 dst, u32 cmd)
{
	unsigned long end = jiffies + msecs_to_jiffies(EDU_TIMEOUT_MS);

	writeq(src, bar + EDU_REG_SRC);
	writeq(dst, bar + EDU_REG_DST);
	writeq(LAB_EDU_XFER, bar + EDU_REG_CNT);
	writeq(cmd | EDU_CMD_RUN, bar + EDU_REG_CMD);
	while (readq(bar + EDU_REG_CMD) & EDU_CMD_RUN) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(2000, 5000);
	}
	return 0;
}

int lab_edu_roundtrip(struct pci_dev *pdev, u64 src, u64 dst)
{
	void __iomem *bar;
	int ret;

	if (!lab_edu_match(pdev))
		return -ENODEV;
	device_lock(&pdev->dev);
	if (pdev->dev.driver) {
		ret = -EBUSY;
		goto out_unlock;
	}
	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto out_unlock;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret) {
		ret = -EBUSY;
		goto out_disable;
	}
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		goto out_release;
	}
	if ((readl(bar + EDU_REG_ID) & 0xff) != 0xed) {
		ret = -ENODEV;
		goto out_unmap;
	}
	pci_set_master(pdev);
	ret = edu_xfer(bar, src, EDU_BUF, 0);
	if (!ret)
		ret = edu_xfer(bar, EDU_BUF, dst, EDU_CMD_TO_RAM);
	pci_clear_master(pdev);
out_unmap:
	pci_iounmap(pdev, bar);
out_release:
	pci_release_region(pdev, 0);
out_disable:
	pci_disable_device(pdev);
out_unlock:
	device_unlock(&pdev->dev);
	return ret;
}
