// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors header scanner: one pass over a copy of the header bytes that fills per-entry tables (name
 * positions, dtypes, a shared pool of shape dims, data offsets) and the name index. Array indexing and
 * word-at-a-time reads on the compact form the writers emit; {@link JsonReader} for whatever deviates from it
 * (which marks the scan {@link #slow}). The buffer must hold {@link #PAD} zero bytes past the header.
 *
 * <p>Syntax errors are {@link JsonException}s; the rules the scan meets on the way (duplicate names and
 * metadata keys, unknown dtypes) are {@link SafetensorsException}s. The rules over the whole header (data order,
 * sizes, coverage) are {@link HeaderRules}'.
 */
final class HeaderScanner {
    private static final byte[][] FIELDS = {
        "dtype".getBytes(StandardCharsets.US_ASCII),
        "shape".getBytes(StandardCharsets.US_ASCII),
        "data_offsets".getBytes(StandardCharsets.US_ASCII),
    };
    private static final byte[][] DTYPE_NAMES;
    private static final DType[] DTYPES;

    private static final long[] DTYPE_KEYS;

    static {
        DType[] all = new DType[DType.values().length];
        int n = 0;
        for (DType d : DType.values()) {
            if (d.isSafetensors()) {
                all[n++] = d;
            }
        }
        all = Arrays.copyOf(all, n);
        DTYPES = all;
        DTYPE_NAMES = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            DTYPE_NAMES[i] = all[i].headerName().getBytes(StandardCharsets.US_ASCII);
        }
        DTYPE_KEYS = new long[all.length];
        for (int i = 0; i < all.length; i++) {
            long k = 0;
            for (byte c : DTYPE_NAMES[i]) {
                k = k * 131 + c;
            }
            DTYPE_KEYS[i] = k;
        }
    }

    private final byte[] h;
    private final int length; // h may be a longer scratch buffer: only [0, length) is the header
    private final String file;
    private int p;
    /** Entry number of the tensor being read, or -1 (for messages). */
    private int current = -1;
    int count;
    int cap;
    /** Per entry: where its name starts in h and its length, or length -1 and the decoded name in strings. */
    int[] starts;
    int[] lengths;
    String[] strings;
    DType[] dtypes;
    /** Every shape's dims, back to back: entry e's are dims[shapeAt[e] .. shapeAt[e] + ranks[e]). */
    long[] dims;
    int dimCount;
    int[] shapeAt;
    int[] ranks;
    /** Bit e set: entry e's byte size was not checked against its offsets while parsing (see fastTensor). */
    long[] unchecked;
    long[] begins;
    long[] ends;
    NameIndex index;
    Map<String, String> metadata;
    private boolean sawMetadata;
    /** Whether JsonReader read any part of the header (see {@link #reader}). */
    boolean slow;
    private long lastDtypeKey = -1;
    private DType lastDtype;
    private int q; // end position of the last fastNumber

    HeaderScanner(byte[] h, int length, String file) {
        this.length = length;
        this.h = h;
        this.file = file;
    }

    /**
     * Sizes the tables at the first tensor (p after its name and colon): every entry takes at least its name
     * and 49 more header bytes ("":{"dtype":"U8","shape":[],"data_offsets":[0,0]},), which estimates the
     * rest from this entry's name and bounds the whole; larger headers grow the tables by doubling.
     */
    private void allocate(int nameLength) {
        int bound = (int) Math.min(length / 48L + 4, Integer.MAX_VALUE - 8);
        int c = (length - p) / (nameLength + 49) + 8;
        // at most 65,536 up front: a hostile header padded with ignored fields must not buy large tables
        cap = Math.max(1, Math.min(Math.min(bound, c), 1 << 16));
        starts = new int[cap];
        lengths = new int[cap];
        strings = new String[cap];
        dtypes = new DType[cap];
        dims = new long[cap + cap / 2 + MAX_FAST_RANK]; // grows when shapes are longer on average
        shapeAt = new int[cap];
        ranks = new int[cap];
        unchecked = new long[(cap + 63) >>> 6];
        begins = new long[cap];
        ends = new long[cap];
        index = new NameIndex(cap, names);
    }

    private void grow() {
        cap *= 2;
        starts = Arrays.copyOf(starts, cap);
        lengths = Arrays.copyOf(lengths, cap);
        strings = Arrays.copyOf(strings, cap);
        dtypes = Arrays.copyOf(dtypes, cap);
        shapeAt = Arrays.copyOf(shapeAt, cap);
        ranks = Arrays.copyOf(ranks, cap);
        unchecked = Arrays.copyOf(unchecked, (cap + 63) >>> 6);
        begins = Arrays.copyOf(begins, cap);
        ends = Arrays.copyOf(ends, cap);
    }

    private JsonException err(String msg) {
        return new JsonException(msg, p);
    }

    private int ws() {
        byte[] b = h;
        int i = p;
        while (i < length) {
            byte c = b[i];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                i++;
            } else {
                break;
            }
        }
        p = i;
        return i < length ? b[i] & 0xFF : -1;
    }

    private void expect(char c) {
        if (ws() != c) {
            throw err(p >= length ? "unexpected end of input, expected '" + c + "'"
                    : "expected '" + c + "' but found " + describe(h[p] & 0xFF));
        }
        p++;
    }

    private static String describe(int b) {
        return b >= 0x20 && b < 0x7F ? "'" + (char) b + "'" : String.format("byte 0x%02X", b);
    }

    /** A JsonReader positioned at p, for the slow paths; call {@link #sync} afterwards. */
    private JsonReader reader() {
        slow = true;
        return new JsonReader(h, p, length - p);
    }

    private void sync(JsonReader r, int from) {
        p = from + (int) r.position();
    }

    /** Reads a string: plain ASCII without escapes is sliced directly, anything else is fully decoded. */
    private String string() {
        if (ws() != '"') {
            throw err("expected a string but found " + (p >= length ? "end of input" : describe(h[p] & 0xFF)));
        }
        byte[] b = h;
        int start = p + 1;
        int i = start;
        while (i < length) {
            byte c = b[i];
            if (c == '"') {
                p = i + 1;
                return new String(b, start, i - start, StandardCharsets.ISO_8859_1);
            }
            if (c == '\\' || c < 0x20) { // escapes, control characters and non-ASCII (negative bytes)
                break;
            }
            i++;
        }
        int from = p;
        JsonReader r = reader();
        String s = r.readString();
        sync(r, from);
        return s;
    }

    /** Index of the ASCII candidate equal to the next string, or -1 (the string is consumed either way). */
    private int match(byte[][] candidates) {
        if (ws() == '"') {
            byte[] b = h;
            int start = p + 1;
            int i = start;
            while (i < length && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20) {
                i++;
            }
            if (i < length && b[i] == '"') {
                int len = i - start;
                for (int k = 0; k < candidates.length; k++) {
                    byte[] c = candidates[k];
                    if (c.length == len && Arrays.equals(b, start, i, c, 0, len)) {
                        p = i + 1;
                        return k;
                    }
                }
            }
        }
        String s = string();
        for (int k = 0; k < candidates.length; k++) {
            if (s.equals(new String(candidates[k], StandardCharsets.ISO_8859_1))) {
                return k;
            }
        }
        return -1;
    }

    /** "dtype" 0, "shape" 1, "data_offsets" 2, anything else -1 (consumed). */
    private int matchField() {
        byte[] b = h;
        int i = p;
        if (i + 7 < length && b[i] == '"') {
            if (b[i + 6] == '"') {
                if (b[i + 1] == 'd' && b[i + 2] == 't' && b[i + 3] == 'y' && b[i + 4] == 'p' && b[i + 5] == 'e') {
                    p = i + 7;
                    return 0;
                }
                if (b[i + 1] == 's' && b[i + 2] == 'h' && b[i + 3] == 'a' && b[i + 4] == 'p' && b[i + 5] == 'e') {
                    p = i + 7;
                    return 1;
                }
            } else if (i + 13 < length && b[i + 13] == '"' && Arrays.equals(b, i + 1, i + 13, FIELDS[2], 0, 12)) {
                p = i + 14;
                return 2;
            }
        }
        return match(FIELDS);
    }

    /** Index into DTYPES of the next string, or -1 (consumed). */
    private int matchDtype() {
        byte[] b = h;
        int i = p;
        if (i < length && b[i] == '"') {
            long k = 0;
            int j = i + 1;
            int end = Math.min(length, j + 12);
            for (; j < end && b[j] != '"'; j++) {
                k = k * 131 + b[j];
            }
            if (j < length && b[j] == '"') {
                int len = j - i - 1;
                for (int d = 0; d < DTYPE_KEYS.length; d++) {
                    if (DTYPE_KEYS[d] == k && DTYPE_NAMES[d].length == len
                            && Arrays.equals(b, i + 1, j, DTYPE_NAMES[d], 0, len)) {
                        p = j + 1;
                        return d;
                    }
                }
            }
        }
        return match(DTYPE_NAMES);
    }

    /** After '{' or a member: true before the next key (separator consumed), false after '}'. */
    private boolean nextMember(boolean first) {
        byte[] b = h;
        int i = p;
        if (!first && b[i] == ',' && b[i + 1] == '"') { // compact form; i < length, the padding is zeros
            p = i + 1;
            return true;
        }
        int c = ws();
        if (c == '}') {
            p++;
            return false;
        }
        if (!first) {
            if (c != ',') {
                throw err(c < 0 ? "unexpected end of input in object" : "expected ',' or '}' but found " + describe(c));
            }
            p++;
            c = ws();
        }
        if (c != '"') {
            throw err(c < 0 ? "unexpected end of input in object" : "expected a string key but found " + describe(c));
        }
        return true;
    }

    void parse() {
        expect('{');
        boolean first = true;
        while (nextMember(first)) {
            first = false;
            current = -1;
            String name = name(); // null: the ASCII name at nameStart, nameLength
            if (h[p] == ':') {
                p++;
            } else {
                expect(':');
            }
            if (name == null ? nameLength == 12 && Arrays.equals(h, nameStart, nameStart + 12, METADATA_KEY, 0, 12)
                    : name.equals("__metadata__")) {
                if (sawMetadata) {
                    throw HeaderRules.error(Reason.DUPLICATE_KEY, file, "duplicate key `__metadata__` in header");
                }
                sawMetadata = true;
                metadata = metadata();
                continue;
            }
            if (starts == null) {
                allocate(name == null ? nameLength : name.length());
            } else if (count == cap) {
                grow();
            }
            int c = count;
            current = c;
            starts[c] = nameStart;
            lengths[c] = name == null ? nameLength : -1;
            if (name != null) {
                strings[c] = name; // the arrays are fresh: ASCII names leave null
            }
            assert nameHash == nameOf(c).hashCode();
            int dup = index.putIfAbsent(nameHash, c, names);
            if (dup >= 0) {
                throw duplicateName(nameOf(c));
            }
            if (!fastTensor()) {
                tensor();
            }
            count = c + 1;
        }
        if (ws() >= 0) {
            throw err("trailing characters: " + describe(h[p] & 0xFF));
        }
        if (starts == null) {
            cap = 0;
            starts = new int[0];
            lengths = new int[0];
            strings = new String[0];
            dtypes = new DType[0];
            dims = new long[0];
            shapeAt = new int[0];
            ranks = new int[0];
            unchecked = new long[0];
            begins = new long[0];
            ends = new long[0];
            index = new NameIndex(0, names);
        }
        index.seal();
    }

    /** Entry e's name, from the header bytes (a new String each time) unless it was decoded. */
    private String nameOf(int e) {
        String s = strings[e];
        return s != null ? s : new String(h, starts[e], lengths[e], StandardCharsets.ISO_8859_1);
    }

    /** The name of the tensor being read, or null. */
    String currentName() {
        return current < 0 ? null : nameOf(current);
    }

    /** {@link NameIndex#strongHash} of entry e's name. */
    private long strongHashOf(int e) {
        String s = strings[e];
        return s != null ? NameIndex.strongHash(s) : NameIndex.strongHash(h, starts[e], lengths[e]);
    }

    /**
     * The entries' names as the name table asks about them: a named class rather than two method references, as
     * on the rest of the open path (see "Cold start" in {@code docs/ARCHITECTURE.md}).
     */
    private final class Names implements java.util.function.IntToLongFunction, java.util.function.IntPredicate {
        @Override
        public long applyAsLong(int e) {
            return strongHashOf(e);
        }

        @Override
        public boolean test(int e) {
            return sameAsCurrent(e);
        }
    }

    private final Names names = new Names();

    /** Whether entry e has the name of the entry being added (whose hash equals e's). */
    private boolean sameAsCurrent(int e) {
        int c = current;
        int le = lengths[e];
        int lc = lengths[c];
        if (le >= 0 && lc >= 0) {
            return le == lc && Arrays.equals(h, starts[e], starts[e] + le, h, starts[c], starts[c] + lc);
        }
        return nameOf(e).equals(nameOf(c));
    }

    private SafetensorsException duplicateName(String name) {
        return HeaderRules.error(Reason.DUPLICATE_KEY, file, "duplicate tensor name `" + name + "` in header");
    }

    /**
     * A string at p (after whitespace). ASCII without escapes is found word by word and not built: null is
     * returned and the name is at {@link #nameStart}, {@link #nameLength}. Anything else is decoded by
     * {@link #string()}.
     */
    private String name() {
        byte[] b = h;
        int i = p;
        if (b[i] == '"') {
            int start = i + 1;
            i = start;
            int hash = 0;
            long x;
            long m;
            while ((m = stops(x = word(b, i))) == 0) {
                hash = hash * POW31_8 + poly31(x);
                i += 8;
            }
            int k = Long.numberOfTrailingZeros(m) >>> 3;
            i += k;
            if (b[i] == '"') { // i <= length: the zero padding stops the scan
                if (k != 0) { // the k bytes before the quote, moved to the top of the word
                    hash = hash * POW31[k] + poly31(x << (64 - (k << 3)));
                }
                p = i + 1;
                nameHash = hash;
                nameStart = start;
                nameLength = i - start;
                return null;
            }
        }
        nameStart = p;
        String s = string();
        nameHash = s.hashCode();
        return s;
    }

    private int nameStart;
    private int nameLength;

    /** {@link String#hashCode} of the last {@link #name}, computed word by word while scanning it. */
    private int nameHash;

    /**
     * The compact entry {@code {"dtype":"X","shape":[..],"data_offsets":[a,b]}} without whitespace, read
     * straight into this entry's slots; false (p untouched) on any deviation, for {@link #tensor} to read
     * it or report the error. Reads may run past the header into the zero padding, which matches nothing.
     *
     * <p>One method of about 100 lines on purpose: it is the hot loop of every open, and its position, element
     * count and dims stay in locals from the first word to the commit; split into methods they would go through
     * fields (as {@link #q} already does for {@link #fastNumber}).
     */
    private boolean fastTensor() {
        byte[] b = h;
        int i = p;
        if (word(b, i) != W_OBJ_DTYPE || word(b, i + 2) != W_DTYPE_COLON) {
            return false;
        }
        i += 10;
        long x = word(b, i);
        long qm = zeros(x ^ QUOTES);
        int k = Long.numberOfTrailingZeros(qm) >>> 3;
        if (k == 0 || k == 8) {
            return false;
        }
        long key = x & (-1L >>> (56 - (k << 3))); // the name and its closing quote

        DType dtype;
        if (key == lastDtypeKey) {
            dtype = lastDtype;
        } else {
            dtype = dtypeOfWord(key);
            if (dtype == null) {
                return false;
            }
            lastDtypeKey = key;
            lastDtype = dtype;
        }
        i += k + 1;
        if (word(b, i) != W_SHAPE || word(b, i + 2) != W_SHAPE_COLON) {
            return false;
        }
        i += 10;
        // dims go straight to the pool (committed only on success); numel is tracked while they are read
        int at = dimCount;
        if (dims.length - at < MAX_FAST_RANK) {
            dims = Arrays.copyOf(dims, Math.max(dims.length * 2, at + MAX_FAST_RANK));
        }
        long[] ds = dims;
        int n = 0;
        long numel = 1; // -1 once it would overflow: the size is then left to the checked computation
        if (b[i] == ']') {
            i++;
        } else {
            while (true) {
                long v = fastNumber(i);
                if (v < 0 || n == MAX_FAST_RANK) {
                    return false;
                }
                ds[at + n++] = v;
                if (numel >= 0) {
                    long r = numel * v;
                    numel = Math.multiplyHigh(numel, v) != 0 || r < 0 ? -1 : r;
                }
                i = q;
                byte t = b[i++];
                if (t == ']') {
                    break;
                }
                if (t != ',') {
                    return false;
                }
            }
        }
        if (word(b, i) != W_OFFSETS1 || word(b, i + 8) != W_OFFSETS2 || b[i + 16] != '[') {
            return false;
        }
        long begin = fastNumber(i + 17);
        if (begin < 0) {
            return false;
        }
        i = q;
        if (b[i] != ',') {
            return false;
        }
        long end = fastNumber(i + 1);
        if (end < 0) {
            return false;
        }
        i = q;
        if (b[i] != ']' || b[i + 1] != '}') {
            return false;
        }
        // an entry whose byte size is not plainly end - begin is left to tensor() and the checked computation
        int bits = dtype.bits(); // at most 64 = 2^6 for safetensors dtypes
        if (numel < 0 || (numel >>> 56) != 0) { // below 2^56 elements numel * bits cannot overflow
            return false;
        }
        long totalBits = numel * bits;
        if ((totalBits & 7) != 0 || (totalBits >>> 3) != end - begin) {
            return false;
        }
        p = i + 2;
        int c = count;
        dtypes[c] = dtype;
        shapeAt[c] = at;
        ranks[c] = n;
        dimCount = at + n;
        begins[c] = begin;
        ends[c] = end;
        return true;
    }

    /**
     * A plain non-negative integer of at most 18 digits at i (end in q), or -1 for anything else; up to 8
     * digits at a time.
     */
    private long fastNumber(int i) {
        byte[] b = h;
        int d0 = b[i] - '0';
        int d1 = b[i + 1] - '0';
        if ((d0 | (9 - d0)) >= 0 && (d1 | (9 - d1)) < 0) { // one digit: most dims and small offsets
            q = i + 1;
            return d0;
        }
        int start = i;
        long v = 0;
        int n;
        do {
            long x = word(b, i);
            n = Long.numberOfTrailingZeros(nonDigits(x)) >>> 3;
            if (n == 0) {
                break;
            }
            long digits = x - 0x3030303030303030L;
            v = v * POW10[n] + eightDigits(n == 8 ? digits : digits << (64 - (n << 3)));
            i += n;
        } while (n == 8);
        int len = i - start;
        if (len == 0 || len > 18 || (len > 1 && b[start] == '0')) {
            return -1;
        }
        q = i;
        return v;
    }

    private Map<String, String> metadata() {
        int c = ws();
        if (c == 'n') {
            int from = p;
            JsonReader r = reader();
            if (r.readValue() != null) {
                throw err("__metadata__ must be an object of strings");
            }
            sync(r, from);
            return null;
        }
        if (c != '{') {
            throw err("__metadata__ must be an object of strings");
        }
        p++;
        Map<String, String> m = new LinkedHashMap<>();
        boolean first = true;
        while (nextMember(first)) {
            first = false;
            String k = string();
            expect(':');
            if (ws() != '"') {
                throw err("__metadata__ value of key \"" + k + "\" must be a string");
            }
            String v = string();
            if (m.put(k, v) != null) {
                throw HeaderRules.error(Reason.DUPLICATE_KEY, file, "duplicate key `" + k + "` in __metadata__");
            }
        }
        return m;
    }

    private void tensor() {
        if (ws() != '{') {
            throw err("tensor entry must be an object");
        }
        p++;
        DType dtype = null;
        long[] shape = null;
        boolean offsets = false;
        boolean first = true;
        while (nextMember(first)) {
            first = false;
            int f = matchField();
            expect(':');
            switch (f) {
                case 0 -> {
                    if (dtype != null) {
                        throw err("duplicate field `dtype`");
                    }
                    if (ws() != '"') {
                        throw err("dtype must be a string");
                    }
                    int d = matchDtype();
                    if (d < 0) {
                        throw HeaderRules.error(Reason.UNKNOWN_DTYPE, file, "unknown dtype for tensor `" + currentName() + "`");
                    }
                    dtype = DTYPES[d];
                }
                case 1 -> {
                    if (shape != null) {
                        throw err("duplicate field `shape`");
                    }
                    shape = longArray(-1);
                }
                case 2 -> {
                    if (offsets) {
                        throw err("duplicate field `data_offsets`");
                    }
                    offsets();
                    offsets = true;
                }
                default -> {
                    int from = p;
                    JsonReader r = reader();
                    r.skipValue(); // unknown fields are ignored, as by the reference
                    sync(r, from);
                }
            }
        }
        if (dtype == null) {
            throw err("missing field `dtype`");
        }
        if (shape == null) {
            throw err("missing field `shape`");
        }
        if (!offsets) {
            throw err("missing field `data_offsets`");
        }
        dtypes[count] = dtype;
        addShape(shape);
        unchecked[count >>> 6] |= 1L << count; // its size is computed (and checked) with the other entries
    }

    /** Appends a shape read by the general path to the pool as entry {@code count}'s. */
    private void addShape(long[] shape) {
        int at = dimCount;
        if (dims.length - at < shape.length) {
            dims = Arrays.copyOf(dims, Math.max(dims.length * 2, at + shape.length));
        }
        System.arraycopy(shape, 0, dims, at, shape.length);
        shapeAt[count] = at;
        ranks[count] = shape.length;
        dimCount = at + shape.length;
    }

    private final long[] buf = new long[16];
    /** Longest shape the fast path reads; longer ones go through {@link #tensor}. */
    private static final int MAX_FAST_RANK = 16;

    private long[] longArray(int exact) {
        if (ws() != '[') {
            throw err("expected an array of non-negative integers");
        }
        p++;
        long[] tmp = buf;
        int k = 0;
        boolean first = true;
        while (true) {
            int c = ws();
            if (c == ']') {
                p++;
                break;
            }
            if (!first) {
                if (c != ',') {
                    throw err(c < 0 ? "unexpected end of input in array" : "expected ',' or ']' but found " + describe(c));
                }
                p++;
                ws();
            }
            first = false;
            if (exact > 0 && k == exact) {
                throw err("data_offsets must have exactly 2 elements");
            }
            if (k == tmp.length) {
                tmp = Arrays.copyOf(tmp, k * 2);
            }
            tmp[k++] = number();
        }
        if (exact > 0 && k != exact) {
            throw err("data_offsets must have exactly 2 elements, found " + k);
        }
        return k == 0 ? EMPTY : Arrays.copyOf(tmp, k);
    }

    /** Reads {@code [begin, end]} straight into this entry's slots. */
    private void offsets() {
        if (ws() != '[') {
            throw err("expected an array of non-negative integers");
        }
        p++;
        if (ws() == ']') {
            throw err("data_offsets must have exactly 2 elements, found 0");
        }
        begins[count] = number();
        if (ws() != ',') {
            throw err(p < length && h[p] == ']' ? "data_offsets must have exactly 2 elements, found 1"
                    : "expected ',' but found " + (p < length ? describe(h[p] & 0xFF) : "end of input"));
        }
        p++;
        ws();
        ends[count] = number();
        int c = ws();
        if (c == ',') {
            throw err("data_offsets must have exactly 2 elements");
        }
        if (c != ']') {
            throw err(c < 0 ? "unexpected end of input in array" : "expected ',' or ']' but found " + describe(c));
        }
        p++;
    }

    private long number() {
        byte[] b = h;
        int i = p;
        int start = i;
        if (i >= length) {
            throw err("unexpected end of input, expected a non-negative integer");
        }
        int c = b[i];
        if (c == '-') {
            throw err("negative number where a non-negative integer is required");
        }
        if (c < '0' || c > '9') {
            throw err("expected a non-negative integer but found " + describe(c & 0xFF));
        }
        long v = 0;
        boolean overflow = false;
        if (c == '0') {
            i++;
        } else {
            int end = Math.min(length, i + 18); // 18 digits always fit a long: no overflow check needed
            while (i < end) {
                int d = b[i] - '0';
                if (d < 0 || d > 9) {
                    break;
                }
                v = v * 10 + d;
                i++;
            }
            while (i < length) { // a 19th digit and beyond: checked
                int d = b[i] - '0';
                if (d < 0 || d > 9) {
                    break;
                }
                if (v > (Long.MAX_VALUE - d) / 10) {
                    overflow = true;
                }
                v = v * 10 + d;
                i++;
            }
        }
        p = i;
        if (i < length) {
            int n = b[i];
            if (n == '.' || n == 'e' || n == 'E') {
                p = start;
                throw err("expected an integer but found a floating-point number");
            }
            if (n >= '0' && n <= '9') {
                p = start;
                throw err("leading zero in number");
            }
        }
        if (overflow) {
            p = start;
            throw new JsonException("integer out of range (>= 2^63)", p, false, true);
        }
        return v;
    }

    private static final long[] EMPTY = new long[0];
    private static final byte[] METADATA_KEY = "__metadata__".getBytes(StandardCharsets.US_ASCII);

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Zero bytes past the header in the scratch copy, so the word-wise fast paths need no bounds checks. */
    static final int PAD = 16;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long W_OBJ_DTYPE = lit("{\"dtype\"", 0);
    private static final long W_DTYPE_COLON = lit("{\"dtype\":\"", 2);
    private static final long W_SHAPE = lit(",\"shape\"", 0);
    private static final long W_SHAPE_COLON = lit(",\"shape\":[", 2);
    private static final long W_OFFSETS1 = lit("],\"data_offsets\":[", 1);
    private static final long W_OFFSETS2 = lit("],\"data_offsets\":[", 9);
    private static final long[] DTYPE_WORDS;

    static {
        DTYPE_WORDS = new long[DTYPES.length];
        for (int i = 0; i < DTYPES.length; i++) {
            byte[] name = DTYPE_NAMES[i];
            long w = -1; // never a key: keys end with a quote
            if (name.length < 8) { // longer names are left to the slow path
                w = '"';
                for (int j = name.length - 1; j >= 0; j--) {
                    w = (w << 8) | (name[j] & 0xFF);
                }
            }
            DTYPE_WORDS[i] = w;
        }
    }

    private static long lit(String s, int from) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return (long) LONGS.get(b, from);
    }

    private static final int POW31_8 = 31 * 31 * 31 * 31 * 31 * 31 * 31 * 31;
    private static final int[] POW31 = {1, 31, 31 * 31, 31 * 31 * 31, 31 * 31 * 31 * 31, 31 * 31 * 31 * 31 * 31,
        31 * 31 * 31 * 31 * 31 * 31, 31 * 31 * 31 * 31 * 31 * 31 * 31};

    /**
     * The {@link String#hashCode} polynomial of the 8 bytes of x (first byte lowest), as b0*31^7 + ... + b7:
     * adjacent bytes, then pairs, then quads are combined in SWAR lanes that cannot overflow.
     */
    private static int poly31(long x) {
        long pairs = (x & 0x00FF00FF00FF00FFL) * 31 + ((x >>> 8) & 0x00FF00FF00FF00FFL);
        long quads = (pairs & 0x0000FFFF0000FFFFL) * (31 * 31) + ((pairs >>> 16) & 0x0000FFFF0000FFFFL);
        return (int) quads * (31 * 31 * 31 * 31) + (int) (quads >>> 32);
    }

    private static final long[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000};

    /** High bit set in the bytes of x that are not ASCII digits; the lowest one is exact. */
    private static long nonDigits(long x) {
        return ((x + 0x4646464646464646L) | (x - 0x3030303030303030L) | x) & HIGHS;
    }

    /** The value of 8 digit values (0-9 per byte, the most significant first, i.e. lowest). */
    private static long eightDigits(long d) {
        d = d * 10 + (d >>> 8);
        return ((d & 0x000000FF000000FFL) * (100 + (1_000_000L << 32))
                + ((d >>> 16) & 0x000000FF000000FFL) * (1 + (10_000L << 32))) >>> 32;
    }

    private static long word(byte[] b, int i) {
        return (long) LONGS.get(b, i);
    }

    /** High bit set in the zero bytes of x (exact). */
    private static long zeros(long x) {
        long y = ((x & ~HIGHS) + ~HIGHS) | x;
        return ~y & HIGHS;
    }

    /**
     * High bit set in the bytes of x that are '"', '\\', below 0x20 or above 0x7F; the lowest one is exact
     * (borrows only propagate upwards from a hit).
     */
    private static long stops(long x) {
        long qt = x ^ QUOTES;
        long bs = x ^ 0x5C5C5C5C5C5C5C5CL;
        return ((qt - ONES) | (bs - ONES) | (x - 0x2020202020202020L) | x) & HIGHS;
    }

    /** The dtype whose name's bytes and closing quote (little-endian, at most 8) are key, or null. */
    private static DType dtypeOfWord(long key) {
        int slot = (int) ((key * DTYPE_MULTIPLIER) >>> 58);
        return DTYPE_SLOT_WORDS[slot] == key ? DTYPE_SLOT_TYPES[slot] : null;
    }

    /** A perfect hash of the dtype words into 64 slots (found at class initialization). */
    private static final long DTYPE_MULTIPLIER;
    private static final long[] DTYPE_SLOT_WORDS = new long[64];
    private static final DType[] DTYPE_SLOT_TYPES = new DType[64];

    static {
        long m = 0x9E3779B97F4A7C15L;
        search:
        while (true) {
            Arrays.fill(DTYPE_SLOT_WORDS, -1L); // -1 is never a key
            Arrays.fill(DTYPE_SLOT_TYPES, null);
            for (int d = 0; d < DTYPE_WORDS.length; d++) {
                if (DTYPE_WORDS[d] == -1L) {
                    continue;
                }
                int slot = (int) ((DTYPE_WORDS[d] * m) >>> 58);
                if (DTYPE_SLOT_WORDS[slot] != -1L) {
                    m = m * 0xD1B54A32D192ED03L + 0x2545F4914F6CDD1DL | 1;
                    continue search;
                }
                DTYPE_SLOT_WORDS[slot] = DTYPE_WORDS[d];
                DTYPE_SLOT_TYPES[slot] = DTYPES[d];
            }
            break;
        }
        DTYPE_MULTIPLIER = m;
    }

    /** Index of the first byte >= 0x80 among the first {@code n}, or -1. */
    static int firstNonAscii(byte[] b, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            if (((long) LONGS.get(b, i) & 0x8080808080808080L) != 0) {
                break;
            }
        }
        for (; i < n; i++) {
            if (b[i] < 0) {
                return i;
            }
        }
        return -1;
    }
}
