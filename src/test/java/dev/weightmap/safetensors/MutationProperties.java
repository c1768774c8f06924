// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Random mutations of valid files give a valid file or a SafetensorsException, nothing else. */
@ExtendWith(Seeded.Extension.class)
class MutationProperties {

    static final List<byte[]> SEEDS = List.of(
            read("all_dtypes.safetensors"), read("with_metadata.safetensors"), read("zero_size.safetensors"),
            read("unicode_names.safetensors"), read("scalars.safetensors"), read("empty.safetensors"),
            read("dtypes/F4.safetensors"));

    static byte[] read(String name) {
        try {
            return Files.readAllBytes(TestFiles.fixture(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses and, when valid, reads every tensor completely. Only SafetensorsException may escape. */
    static void check(byte[] bytes) {
        SafetensorsFile f;
        try {
            f = SafetensorsFile.parse(MemorySegment.ofArray(bytes), "mutant");
        } catch (SafetensorsException e) {
            assertThat(e.reason()).isNotNull();
            assertThat(e.getMessage()).startsWith("mutant: ");
            return;
        } catch (Throwable t) {
            fail("unexpected " + t + " for " + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 200))), t);
            return;
        }
        // a valid file: every tensor lies inside the image and reads
        long sum = f.dataStart();
        for (String n : f.names()) {
            Tensor t = f.tensor(n);
            sum += t.byteLength();
            assertThat(t.data().byteSize()).isEqualTo(f.info(n).length());
            if (!t.dtype().isSubByte() && !t.dtype().isComplex()) {
                assertThat(t.toFloatArray()).hasSize((int) t.numel());
            }
            if (t.rank() > 0 && t.size(0) > 0 && !t.dtype().isSubByte()) {
                f.slice(n, SliceIndex.at(-1));
            }
        }
        assertThat(sum).isEqualTo(bytes.length);
    }

    private static long headerLength(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void theSeedsAreValid() {
        for (byte[] seed : SEEDS) {
            check(seed);
            assertThat(SafetensorsFile.parse(MemorySegment.ofArray(seed), "seed")).isNotNull();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void byteMutations(Seeded seeded) {
        seeded.tries(400, g -> byteMutations(g.pick(SEEDS), g.intIn(1, 8), g));
    }

    private static void byteMutations(byte[] seed, int count, RandomGenerator r) {
        byte[] b = seed.clone();
        long n = headerLength(b);
        for (int i = 0; i < count; i++) {
            // mostly inside the header, where the structure is
            int pos = r.nextInt(4) != 0 ? 8 + r.nextInt((int) Math.max(1, n)) : r.nextInt(b.length);
            pos = Math.min(pos, b.length - 1);
            switch (r.nextInt(4)) {
                case 0 -> b[pos] = (byte) r.nextInt(256);
                case 1 -> b[pos] ^= (byte) (1 << r.nextInt(8));
                case 2 -> b[pos] = (byte) "{}[]\":,0123456789-.eE \\u".charAt(r.nextInt(24));
                default -> b[pos] = (byte) (b[pos] + 1);
            }
        }
        check(b);
    }

    @Test
    void byteMutationsEdgeCases() {
        // every byte of the length and the header of every seed set to 0x00, 0xFF, '"' and '\\'
        for (byte[] seed : SEEDS) {
            for (int pos = 0; pos < 8 + headerLength(seed); pos++) {
                for (int v : new int[] {0x00, 0xFF, '"', '\\'}) {
                    byte[] b = seed.clone();
                    b[pos] = (byte) v;
                    Seeded.example("byte " + pos + " of a " + seed.length + "-byte seed = " + v, () -> check(b));
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void truncationsAndExtensions(Seeded seeded) {
        seeded.tries(300, g -> {
            byte[] seed = g.pick(SEEDS);
            check(Arrays.copyOf(seed, g.nextInt(seed.length + 1)));
            check(Arrays.copyOf(seed, seed.length + 1 + g.nextInt(16)));
        });
    }

    @Test
    void truncationsAndExtensionsEdgeCases() {
        for (byte[] seed : SEEDS) {
            long n = headerLength(seed);
            int[] cuts = {0, 1, 7, 8, 9, (int) (8 + n - 1), (int) (8 + n), (int) (8 + n + 1), seed.length - 1,
                seed.length + 1, seed.length + 8, seed.length + 16};
            for (int cut : cuts) {
                if (cut >= 0 && cut != seed.length) {
                    Seeded.example(seed.length + "-byte seed cut to " + cut, () -> check(Arrays.copyOf(seed, cut)));
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void headerLengthEdits(Seeded seeded) {
        seeded.tries(300, g -> {
            byte[] seed = g.pick(SEEDS);
            long n = headerLength(seed);
            long edited = switch (g.nextInt(5)) {
                case 0 -> n + g.nextInt(17) - 8;
                case 1 -> g.anyLong();
                case 2 -> Long.MAX_VALUE - g.nextInt(8);
                case 3 -> 100_000_000L + g.nextInt(3) - 1;
                default -> g.nextInt(seed.length);
            };
            headerLengthEdit(seed, edited);
        });
    }

    @Test
    void headerLengthEditsEdgeCases() {
        for (byte[] seed : SEEDS) {
            long n = headerLength(seed);
            long[] lengths = {0, 1, 2, n - 8, n - 1, n + 1, n + 8, seed.length - 8, seed.length - 7, seed.length,
                -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 7, 0xFFFF_FFFFL, 1L << 32, 99_999_999,
                100_000_000, 100_000_001};
            for (long len : lengths) {
                Seeded.example(seed.length + "-byte seed with header length " + len, () -> headerLengthEdit(seed, len));
            }
        }
    }

    private static void headerLengthEdit(byte[] seed, long edited) {
        byte[] b = seed.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, edited);
        check(b);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static final String[] FROM = {"\"F32\"", "[", "]", ",", "0", "1", "\"shape\"", "\"data_offsets\"", "}",
        "\"dtype\""};
    private static final String[] TO = {"\"F16\"", "[[", "", ",,", "-1", "18446744073709551616", "\"shape2\"", "\"x\"",
        "}}", "null"};

    @Test
    void textEditsOfTheHeader(Seeded seeded) {
        seeded.tries(300, g -> {
            byte[] seed = g.pick(SEEDS);
            int k = g.nextInt(FROM.length);
            String h = header(seed);
            int at = h.indexOf(FROM[k], g.nextInt(Math.max(1, h.length())));
            if (at < 0) {
                at = h.indexOf(FROM[k]);
            }
            textEdit(seed, k, at);
        });
    }

    @Test
    void textEditsOfTheHeaderEdgeCases() {
        for (byte[] seed : SEEDS) {
            String h = header(seed);
            for (int k = 0; k < FROM.length; k++) {
                int first = h.indexOf(FROM[k]);
                int last = h.lastIndexOf(FROM[k]);
                for (int at : new int[] {first, last}) {
                    int kk = k;
                    Seeded.example(FROM[k] + " at " + at + " in " + h, () -> textEdit(seed, kk, at));
                }
            }
        }
    }

    private static String header(byte[] seed) {
        return new String(seed, 8, (int) headerLength(seed), StandardCharsets.UTF_8);
    }

    /** Replaces {@code FROM[k]} at {@code at} of the header (nothing when {@code at} is negative). */
    private static void textEdit(byte[] seed, int k, int at) {
        if (at < 0) {
            return;
        }
        long n = headerLength(seed);
        String h = header(seed);
        String mutated = h.substring(0, at) + TO[k] + h.substring(at + FROM[k].length());
        byte[] hb = mutated.getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(seed, (int) (8 + n), seed.length);
        check(TestFiles.image(hb.length, hb, data));
        check(TestFiles.image(n, hb, data));
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void randomBytesAfterAPlausibleLength(Seeded seeded) {
        seeded.tries(100, g -> {
            int len = g.intIn(0, 64);
            byte[] body = new byte[len];
            g.nextBytes(body);
            randomBytesAfterAPlausibleLength(body, Math.max(0, len - g.nextInt(4)));
        });
    }

    @Test
    void randomBytesAfterAPlausibleLengthEdgeCases() {
        for (int len = 0; len <= 64; len++) {
            for (int v : new int[] {0x00, 0xFF, '{', ' '}) {
                byte[] body = new byte[len];
                Arrays.fill(body, (byte) v);
                for (int shorter = 0; shorter < 4; shorter++) {
                    int declared = Math.max(0, len - shorter);
                    Seeded.example(len + " bytes " + v + " declared " + declared,
                            () -> randomBytesAfterAPlausibleLength(body, declared));
                }
            }
        }
    }

    private static void randomBytesAfterAPlausibleLength(byte[] body, int declared) {
        check(TestFiles.image(body.length, body, new byte[0]));
        check(TestFiles.image(declared, body, new byte[0]));
    }
}
