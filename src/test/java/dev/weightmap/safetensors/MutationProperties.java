// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Random mutations of valid files give a valid file or a SafetensorsException, nothing else. */
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

    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.of(SEEDS);
    }

    @Property(tries = 400)
    void byteMutations(@ForAll("seeds") byte[] seed, @ForAll @IntRange(min = 1, max = 8) int count, @ForAll long rnd) {
        Random r = new Random(rnd);
        byte[] b = seed.clone();
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
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

    @Property(tries = 300)
    void truncationsAndExtensions(@ForAll("seeds") byte[] seed, @ForAll long rnd) {
        Random r = new Random(rnd);
        int cut = r.nextInt(seed.length + 1);
        check(Arrays.copyOf(seed, cut));
        check(Arrays.copyOf(seed, seed.length + 1 + r.nextInt(16)));
    }

    @Property(tries = 300)
    void headerLengthEdits(@ForAll("seeds") byte[] seed, @ForAll long rnd) {
        Random r = new Random(rnd);
        byte[] b = seed.clone();
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        long edited = switch (r.nextInt(5)) {
            case 0 -> n + r.nextInt(17) - 8;
            case 1 -> r.nextLong();
            case 2 -> Long.MAX_VALUE - r.nextInt(8);
            case 3 -> 100_000_000L + r.nextInt(3) - 1;
            default -> r.nextInt(b.length);
        };
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, edited);
        check(b);
    }

    @Property(tries = 300)
    void textEditsOfTheHeader(@ForAll("seeds") byte[] seed, @ForAll long rnd) {
        Random r = new Random(rnd);
        long n = ByteBuffer.wrap(seed).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String h = new String(seed, 8, (int) n, StandardCharsets.UTF_8);
        String[] from = {"\"F32\"", "[", "]", ",", "0", "1", "\"shape\"", "\"data_offsets\"", "}", "\"dtype\""};
        String[] to = {"\"F16\"", "[[", "", ",,", "-1", "18446744073709551616", "\"shape2\"", "\"x\"", "}}", "null"};
        int k = r.nextInt(from.length);
        int at = h.indexOf(from[k], r.nextInt(Math.max(1, h.length())));
        if (at < 0) {
            at = h.indexOf(from[k]);
        }
        if (at < 0) {
            return;
        }
        String mutated = h.substring(0, at) + to[k] + h.substring(at + from[k].length());
        byte[] hb = mutated.getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(seed, (int) (8 + n), seed.length);
        check(TestFiles.image(hb.length, hb, data));
        check(TestFiles.image(n, hb, data));
    }

    @Property(tries = 100)
    void randomBytesAfterAPlausibleLength(@ForAll @IntRange(max = 64) int len, @ForAll long rnd) {
        Random r = new Random(rnd);
        byte[] body = new byte[len];
        r.nextBytes(body);
        check(TestFiles.image(len, body, new byte[0]));
        check(TestFiles.image(Math.max(0, len - r.nextInt(4)), body, new byte[0]));
        assertThat(DType.F32.byteSize()).isEqualTo(4);
    }
}
