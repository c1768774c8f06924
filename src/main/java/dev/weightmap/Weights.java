// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.tensor.Amplification;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Weights opened zero-copy: what every reader is, whatever the format. A safetensors file, a DDUF archive, a
 * PyTorch checkpoint and a sharded checkpoint are all {@code Weights}; format-specific API stays on the concrete
 * types ({@code SafetensorsFile}, {@code DdufFile}, {@code TorchCheckpoint}, {@code Checkpoint}).
 *
 * <pre>{@code
 * try (Weights w = Weights.open(Path.of("model.safetensors"))) {
 *     Tensor t = w.tensor("lm_head.weight");     // a slice of the mapping
 *     float first = t.getFloat(0);
 * }
 * }</pre>
 *
 * <p><b>Lifetime.</b> A reader owns one mapping arena for all its files. {@link #close()} marks it closed at once:
 * every library method then throws {@link WeightsClosedException} naming the file. The files are unmapped when
 * the reader is closed and every {@linkplain #retain() lease} has been released; after that, raw segments obtained
 * earlier throw the JDK's {@link IllegalStateException}. Readers are safe for concurrent use. A raw read on
 * another thread at the very moment of the unmap relies on the JDK's close handshake, which has a known defect
 * (JDK-8364167; a crash on JDK 25.0.3 matches it) that can crash the JVM in rare cases; a thread that reads
 * while it holds a {@linkplain #retain() lease} is never raced by the unmap.
 *
 * <p>A file may be mapped later than it is opened: a single safetensors file opened without a caller's arena reads
 * its header by positional reads and is mapped when tensor bytes are first asked for (at open when the header is
 * over 256 KiB) (its channel stays open until
 * then, so the bytes mapped are those of the file opened). A reader whose data was never mapped has nothing to
 * unmap, and its close costs no handshake with the JVM's threads; once anything is mapped, the rule above holds
 * as written. For many short opens that do read tensors, one caller's arena ({@link OpenOptions#withArena}) for
 * the whole group pays the unmapping once.
 */
public interface Weights extends AutoCloseable {
    /** {@link #format()} of a single safetensors file. */
    String SAFETENSORS = "safetensors";
    /** {@link #format()} of a DDUF archive. */
    String DDUF = "dduf";
    /** {@link #format()} of a PyTorch checkpoint (zip or legacy). */
    String TORCH = "torch";
    /** {@link #format()} of a checkpoint opened through an index or a folder. */
    String SHARDED = "sharded";
    /** {@link #format()} of a GGUF file. */
    String GGUF = "gguf";

    /**
     * Opens any input weightmap reads, with {@link OpenOptions#defaults()}: see {@link #open(Path, OpenOptions)}.
     *
     * @param path a file of any name, a folder or an index file
     * @return the opened reader; close it
     * @throws java.nio.file.NoSuchFileException when the path does not exist
     * @throws WeightmapException                when the content is invalid or of no supported format
     *                                           ({@code UNKNOWN_FORMAT}, {@code UNSUPPORTED_FORMAT})
     * @throws IOException                       when the file cannot be read
     */
    static Weights open(Path path) throws IOException {
        return open(path, OpenOptions.defaults());
    }

    /**
     * Opens any input weightmap reads. The format is detected by content, the file name only breaking ties: a
     * safetensors file (an 8-byte length, then <code>&#123;</code>), a ZIP archive (a torch checkpoint when it holds a
     * {@code <folder>/data.pkl} record, a DDUF archive when it holds a root {@code model_index.json}), a legacy
     * torch pickle stream, an index JSON ({@code weight_map}), a GGUF file, or a folder (huggingface_hub's
     * selection rules). Anything else fails with {@code UNKNOWN_FORMAT} naming the file and what its first bytes
     * look like; so does an HTML page or a Git LFS pointer file whatever its name (what a failed download leaves
     * under the model's name).
     *
     * @param path    a file of any name, a folder or an index file
     * @param options limits, the {@code safe} switch and other choices
     * @return the opened reader; close it
     * @throws java.nio.file.NoSuchFileException when the path does not exist
     * @throws WeightmapException                when the content is invalid or of no supported format
     * @throws IOException                       when the file cannot be read
     */
    static Weights open(Path path, OpenOptions options) throws IOException {
        return Opener.open(path, options);
    }

    /**
     * Opens remote weights over HTTP range requests with {@link dev.weightmap.remote.RemoteOptions#defaults()}
     * (the token from {@code HF_TOKEN}): see {@link #open(URI, dev.weightmap.remote.RemoteOptions)}.
     *
     * @param uri an {@code http} or {@code https} URL of a safetensors file, a sharded checkpoint's index, a GGUF
     *            file, a {@code .dduf} archive or a torch zip checkpoint
     * @return the opened reader; close it
     * @throws WeightmapException a {@code REMOTE_…} reason for HTTP failures, the format's reasons for invalid
     *                            headers
     */
    static dev.weightmap.remote.RemoteWeights open(URI uri) {
        return open(uri, dev.weightmap.remote.RemoteOptions.defaults());
    }

    /**
     * Opens remote weights over HTTP range requests: a safetensors file (one request when the header fits the
     * first, speculative range), the index JSON of a sharded safetensors checkpoint (the index, then one
     * request per shard header, concurrently), a GGUF file (a prefix that grows until the tensor infos are in), a
     * {@code .dduf} archive or a torch zip checkpoint (the end of the archive, its central directory, then what the
     * format needs), told apart by content. Tensor bytes are fetched on demand; see
     * {@link dev.weightmap.remote.RemoteWeights} and, for the HTTP rules, {@link dev.weightmap.remote.HttpRangeSource}.
     *
     * @param uri     an {@code http} or {@code https} URL
     * @param options token, timeouts, retries, concurrency
     * @return the opened reader; close it
     * @throws WeightmapException a {@code REMOTE_…} reason for HTTP failures, the format's reasons for invalid
     *                            headers
     */
    static dev.weightmap.remote.RemoteWeights open(URI uri, dev.weightmap.remote.RemoteOptions options) {
        return dev.weightmap.remote.RemoteWeights.open(uri, options);
    }

    /**
     * The format {@link #open(Path, OpenOptions)} would use for {@code path}, without opening it: detection by
     * content, the name breaking ties (a file named {@code *.safetensors} whose header is damaged is still
     * {@code safetensors}, so opening it reports the precise safetensors error; an HTML page or a Git LFS pointer
     * is {@code UNKNOWN_FORMAT} whatever its name, and GGUF content is {@code gguf} whatever its name).
     *
     * @param path a file of any name, a folder or an index file
     * @return the format name ({@link #SAFETENSORS}, {@link #DDUF}, {@link #TORCH}, {@link #SHARDED}, {@link #GGUF},
     *         or another registered format's name)
     * @throws java.nio.file.NoSuchFileException when the path does not exist
     * @throws WeightmapException                {@code UNKNOWN_FORMAT} when no format claims it,
     *                                           {@code NOT_A_REGULAR_FILE} for devices, FIFOs and sockets
     * @throws IOException                       when the file cannot be read
     */
    static String detect(Path path) throws IOException {
        return Opener.detect(path).name();
    }

    /**
     * The file this reader was opened from (the index file or folder for a sharded checkpoint).
     *
     * @return the path, or null for an in-memory image
     */
    Path path();

    /**
     * The name used in messages: the path as given, or a display name for in-memory images.
     *
     * @return the display name
     */
    String displayName();

    /**
     * The format's name: {@link #SAFETENSORS}, {@link #DDUF}, {@link #TORCH}, {@link #SHARDED}, {@link #GGUF}.
     *
     * @return the format name as {@code inspect --json} prints it
     */
    String format();

    /**
     * Every tensor name, in the format's stable order (documented on each implementation).
     *
     * @return an immutable list
     */
    List<String> tensorNames();

    /**
     * One tensor: a zero-copy view.
     *
     * @param name the tensor's name
     * @return the tensor
     * @throws WeightmapException      when there is no such tensor ({@code TENSOR_NOT_FOUND} or the format's
     *                                 equivalent)
     * @throws WeightsClosedException when the reader is closed
     */
    Tensor tensor(String name);

    /**
     * Whether a tensor of that name exists.
     *
     * @param name the tensor's name
     * @return true when {@link #tensor(String)} would find it
     */
    default boolean contains(String name) {
        return tensors().containsKey(name);
    }

    /**
     * Every tensor, by name, in {@link #tensorNames()} order.
     *
     * @return a read-only ordered map
     */
    Map<String, Tensor> tensors();

    /**
     * The format's own metadata: safetensors {@code __metadata__} strings, a DDUF archive's
     * {@code model_index.json}, an index file's {@code metadata} object, the attributes of a torch state dict.
     *
     * @return a read-only map
     */
    Map<String, ?> metadata();

    /**
     * Validates everything beyond what opening checked: structure, and every checksum the format records.
     *
     * @return what was checked
     * @throws WeightmapException naming the first failure
     * @throws IOException        when a file cannot be read
     */
    VerifyReport verify() throws IOException;

    /**
     * As {@link #verify()}, reporting the bytes checksummed as they are done (for a progress display). Formats
     * without long checksum passes report nothing.
     *
     * @param progress receives byte counts as parts of the work complete, possibly from several threads; or null
     * @return what was checked
     * @throws WeightmapException naming the first failure
     * @throws IOException        when a file cannot be read
     */
    default VerifyReport verify(java.util.function.LongConsumer progress) throws IOException {
        return verify();
    }

    /**
     * How many bytes working on every tensor's bytes (hashing each, converting, sharding) would produce, against
     * the stored bytes behind them: an expanded (stride 0) view can promise terabytes from a few bytes.
     *
     * @return {@link Amplification#of(Map)} of {@link #tensors()}
     */
    default Amplification amplification() {
        return Amplification.of(tensors());
    }

    /**
     * Where each tensor lives, in {@link #tensorNames()} order: the fields of {@code inspect --json}. The list
     * may build its elements when they are read (a header of a million tensors needs no million locations at
     * once), so read it while the reader is open, or copy it ({@code List.copyOf}) to keep it.
     *
     * @return one location per tensor
     */
    List<TensorLocation> locations();

    /**
     * What opening noticed that is not an error but that a careful caller wants to know, for example hub 2.0's
     * {@code Shard files contain tensors absent from the index: ['x']} for a sharded checkpoint. The
     * {@code weightmap verify} command prints each as a {@code warning:} line.
     *
     * @return the warnings, in the order they were found; empty for most readers
     */
    default List<String> warnings() {
        return List.of();
    }

    /**
     * The files that make up this reader (the index first for a sharded checkpoint). By default the one file
     * {@link #path()} names, or none when it is null (an image parsed from memory, a remote reader).
     *
     * @return the files, as given
     */
    default List<Path> files() {
        Path p = path();
        return p == null ? List.of() : List.of(p);
    }

    /**
     * Makes the bytes of every tensor resident now, on all processors, so that reading them afterwards waits for
     * no disk: the "load" of a zero-copy reader, for a server that would rather pay it at start than on its first
     * requests. Pieces whose pages are all in the page cache already
     * ({@link java.lang.foreign.MemorySegment#isLoaded()}) are left as they are; they are mapped on first read
     * without a disk wait. For the others, on Linux 5.14 or
     * newer with native access granted to weightmap ({@code --enable-native-access}, or the jar's
     * {@code Enable-Native-Access} manifest attribute) each piece of the files' page ranges is one
     * {@code madvise(MADV_POPULATE_READ)}, which also fills the page tables; elsewhere one byte of every page is
     * read. The pages stay ordinary file pages: under memory pressure the kernel may evict them again. A remote
     * reader fetches every tensor into memory.
     *
     * @return the bytes made resident (the tensors' bytes found in the page cache, plus whole pages of the rest of
     *         the files' tensor data, or the tensors' bytes)
     * @throws WeightsClosedException when the reader is closed
     */
    default long prefetch() {
        try (Lease ignored = retain()) { // the mappings stay while other threads read them
            List<java.lang.foreign.MemorySegment> data = new java.util.ArrayList<>();
            List<dev.weightmap.internal.io.MappedRegion> regions = new java.util.ArrayList<>();
            for (Tensor t : tensors().values()) {
                data.add(t.data());
                regions.add(dev.weightmap.internal.tensor.MappedTensors.regionOf(t));
            }
            return dev.weightmap.internal.io.Residency.prefetch(data, regions,
                    Runtime.getRuntime().availableProcessors());
        }
    }

    /**
     * A lease that keeps the mappings alive after {@link #close()}, for memory handed to native code (for example
     * {@code tensor.asByteBuffer()} given to an inference runtime). Library methods still refuse to work once
     * the reader is closed; only the unmap waits until every lease is released.
     *
     * @return the lease; release it with {@code close()}
     * @throws WeightsClosedException when the reader is already closed
     */
    Lease retain();

    /**
     * Whether the reader is open ({@link #close()} not yet called).
     *
     * @return true while open
     */
    boolean isOpen();

    /** Closes the reader: idempotent; unmaps at once unless a lease is held (see {@link #retain()}). */
    @Override
    void close();

    /** A lease on a reader's mappings (see {@link Weights#retain()}). */
    interface Lease extends AutoCloseable {
        /** Releases the lease; idempotent. The last release of a closed reader unmaps its files. */
        @Override
        void close();
    }
}
