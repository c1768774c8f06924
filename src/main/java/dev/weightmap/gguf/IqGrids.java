// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The lookup tables of the grid-based importance quants, loaded once from {@code iq_grids.bin} (see
 * {@code iq_grids.txt} next to it for what it holds and how it was made).
 */
final class IqGrids {
    static final byte[] IQ2_XXS;
    static final byte[] IQ2_XS;
    static final byte[] IQ2_S;
    static final byte[] IQ3_XXS;
    static final byte[] IQ3_S;
    static final byte[] IQ1_S;
    static final byte[] KSIGNS;

    static {
        byte[] all;
        try (InputStream in = IqGrids.class.getResourceAsStream("iq_grids.bin")) {
            if (in == null) {
                throw new IllegalStateException("iq_grids.bin is missing from the weightmap jar");
            }
            all = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (all.length != 33_920) {
            throw new IllegalStateException("iq_grids.bin has " + all.length + " bytes, not 33920");
        }
        int[] p = {0};
        IQ2_XXS = take(all, p, 256 * 8);
        IQ2_XS = take(all, p, 512 * 8);
        IQ2_S = take(all, p, 1024 * 8);
        IQ3_XXS = take(all, p, 256 * 4);
        IQ3_S = take(all, p, 512 * 4);
        IQ1_S = take(all, p, 2048 * 8);
        KSIGNS = take(all, p, 128);
    }

    private IqGrids() {
    }

    private static byte[] take(byte[] all, int[] p, int n) {
        byte[] out = java.util.Arrays.copyOfRange(all, p[0], p[0] + n);
        p[0] += n;
        return out;
    }
}
