// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A native consumer of a tensor's memory (the way an inference runtime takes {@code asByteBuffer()}): a thread
 * hands the tensor's raw address to libc's {@code memcpy} and {@code memcmp} through FFM downcalls, over and over,
 * while the reader is closed with a lease held. Library methods throw {@link WeightsClosedException} at once, the
 * native reads keep seeing the file's bytes, the unmap happens exactly at the lease's release, and Java access
 * after it throws the JDK's {@link IllegalStateException}: no crash.
 */
class NativeLeaseTest {
    @TempDir
    Path tmp;

    private static final Linker LINKER = Linker.nativeLinker();

    private static MethodHandle libc(String name, FunctionDescriptor fd) {
        MemorySegment f = LINKER.defaultLookup().find(name).orElse(null);
        assumeTrue(f != null, "no " + name + " in the platform's default native library lookup");
        return LINKER.downcallHandle(f, fd);
    }

    private Path input(String kind) throws IOException {
        List<String> files = kind.equals("sharded")
                ? List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                        "model-00003-of-00003.safetensors", "model.safetensors.index.json")
                : List.of("model.safetensors");
        String from = kind.equals("sharded") ? "/fixtures/hub/b_sharded/safetensors/"
                : "/fixtures/hub/a_unsharded/safetensors/";
        for (String f : files) {
            try (InputStream in = NativeLeaseTest.class.getResourceAsStream(from + f)) {
                assertThat(in).as(from + f).isNotNull();
                Files.copy(in, tmp.resolve(f));
            }
        }
        return kind.equals("sharded") ? tmp : tmp.resolve("model.safetensors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"single", "sharded"})
    void nativeReadsSurviveCloseWhileALeaseIsHeld(String kind) throws Throwable {
        MethodHandle memcpy = libc("memcpy", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle memcmp = libc("memcmp", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        Weights w = Weights.open(input(kind));
        String name = w.tensorNames().get(w.tensorNames().size() - 1); // in the last shard when sharded
        Tensor t = w.tensor(name);
        MemorySegment data = t.data();
        byte[] expected = data.toArray(ValueLayout.JAVA_BYTE);
        assertThat(expected.length).isPositive();
        long address = data.address(); // what a native consumer receives: a raw pointer and a length
        long length = data.byteSize();

        Weights.Lease lease = w.retain();
        AtomicLong copies = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch stop = new CountDownLatch(1);
        Thread consumer = new Thread(() -> {
            try (Arena own = Arena.ofConfined()) {
                MemorySegment src = MemorySegment.ofAddress(address);
                MemorySegment dst = own.allocate(length);
                MemorySegment want = own.allocate(length).copyFrom(MemorySegment.ofArray(expected));
                while (stop.getCount() > 0 || copies.get() < 1) {
                    dst.fill((byte) 0);
                    MemorySegment r = (MemorySegment) memcpy.invokeExact(dst, src, length);
                    assertThat(r.address()).isEqualTo(dst.address());
                    int cmp = (int) memcmp.invokeExact(src, want, length);
                    if (cmp != 0 || dst.mismatch(want) != -1) {
                        throw new AssertionError("native read saw other bytes after " + copies.get() + " copies");
                    }
                    copies.incrementAndGet();
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "native-consumer");
        consumer.start();
        waitFor(() -> copies.get() > 0 || failure.get() != null);

        w.close(); // while the consumer is reading through the raw address
        assertThat(w.isOpen()).isFalse();
        assertThatThrownBy(() -> w.tensor(name)).isInstanceOf(WeightsClosedException.class)
                .hasMessageContaining(w.displayName());
        assertThatThrownBy(w::tensors).isInstanceOf(WeightsClosedException.class);
        assertThatThrownBy(w::retain).isInstanceOf(WeightsClosedException.class);
        assertThat(data.scope().isAlive()).as("mapped while the lease is held").isTrue();
        long atClose = copies.get();
        waitFor(() -> copies.get() > atClose + 100 || failure.get() != null); // native reads after the close
        stop.countDown();
        consumer.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(consumer.isAlive()).isFalse();
        if (failure.get() != null) {
            throw failure.get();
        }
        assertThat(data.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);

        lease.close(); // the last reference: unmapped now
        assertThat(data.scope().isAlive()).as("unmapped at the lease's release").isFalse();
        assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).isExactlyInstanceOf(IllegalStateException.class);
        assertThatThrownBy(t::toFloatArray).isInstanceOf(IllegalStateException.class);
        lease.close(); // idempotent
        w.close();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a hang bound, not a timing
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 60 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }
}
