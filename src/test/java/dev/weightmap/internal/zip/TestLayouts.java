// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

/** Layouts for the writer's tests; {@code torch.TorchZipLayoutTest} checks torch's own equals {@link #torch}. */
public final class TestLayouts {
    /** torch's padding extra field id ("FB"). */
    public static final int TORCH_PADDING = 0x4246;

    private TestLayouts() {
    }

    /** The layout torch.save writes. */
    public static ZipLayout torch(int alignment, boolean forceZip64) {
        return new ZipLayout(alignment, ZipLayout.LocalSizes.UP_FRONT, TORCH_PADDING, ZipLayout.Padding.ALWAYS_Z,
                ZipLayout.HOST_MS_DOS, true, 0, forceZip64 ? ZipLayout.Zip64.EVERYWHERE : ZipLayout.Zip64.END_RECORD_ALWAYS);
    }
}
