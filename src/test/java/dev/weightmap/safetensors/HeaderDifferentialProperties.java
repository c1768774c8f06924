// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Differential test of the optimized header parser ({@link HeaderParser}: its {@link HeaderScanner} and
 * {@link HeaderRules}, reached through {@link SafetensorsFile#parse}) against a plain reference written here: a generic recursive-descent JSON parser
 * over the strictly decoded header, then the rules of formats.md A.2–A.5 with weightmap's stricter ones
 * (duplicate tensor names and metadata keys are {@code DUPLICATE_KEY}, unknown dtypes {@code UNKNOWN_DTYPE}).
 *
 * <p>Generated headers are mostly valid and aim at the parser's fast paths and their fallbacks: the compact
 * form of the Rust writer, whitespace, other field orders, unknown fields, escaped and non-ASCII names around
 * word boundaries, entries out of data order, long shapes, many-digit numbers, every dtype; then single injected
 * faults, then random byte mutations. Either both accept with the same result, or both reject (with the same
 * reason wherever the reason is unambiguous).
 */
@ExtendWith(Seeded.Extension.class)
class HeaderDifferentialProperties {

    // =====================================================================================================
    // JSON values, shared by the generator and the reference
    // =====================================================================================================

    /** An object; members keep their order and duplicates. */
    record Obj(List<Member> members) {
        Obj() {
            this(new ArrayList<>());
        }
    }

    /** A member; the key is a String, or (generator only) an {@link Esc} or a {@link Raw}. */
    record Member(Object key, Object value) {
    }

    record Arr(List<Object> items) {
    }

    /** A number, as its text. */
    record Num(String text) {
    }

    /** Generator only: a string written with at least one optional escape. */
    record Esc(String s) {
    }

    /** Generator only: JSON text written as is (for faults). */
    record Raw(String text) {
    }

    enum Null { NULL }

    // =====================================================================================================
    // The reference
    // =====================================================================================================

    /** The safetensors dtypes and their bit sizes, from formats.md A.4. */
    static final Map<String, Integer> BITS = Map.ofEntries(
            Map.entry("BOOL", 8), Map.entry("F4", 4), Map.entry("F6_E2M3", 6), Map.entry("F6_E3M2", 6),
            Map.entry("U8", 8), Map.entry("I8", 8), Map.entry("F8_E5M2", 8), Map.entry("F8_E4M3", 8),
            Map.entry("F8_E8M0", 8), Map.entry("F8_E4M3FNUZ", 8), Map.entry("F8_E5M2FNUZ", 8),
            Map.entry("I16", 16), Map.entry("U16", 16), Map.entry("F16", 16), Map.entry("BF16", 16),
            Map.entry("I32", 32), Map.entry("U32", 32), Map.entry("F32", 32), Map.entry("C64", 64),
            Map.entry("F64", 64), Map.entry("I64", 64), Map.entry("U64", 64));
    static final List<String> DTYPE_NAMES = BITS.keySet().stream().sorted().toList();

    record RefEntry(String name, String dtype, long[] shape, long begin, long end) {
        String describe() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    sealed interface Outcome permits Accepted, Rejected {
    }

    /** Entries in data order. */
    record Accepted(long headerLength, List<RefEntry> entries, Map<String, String> metadata) implements Outcome {
    }

    /** The reasons the parser may give: one, or (when the parser stops at the first problem in text order) several. */
    record Rejected(Set<Reason> reasons, String why) implements Outcome {
    }

    /** A JSON syntax error may come after any problem the parser reports while reading (it stops at the first). */
    static final Set<Reason> WHILE_READING = EnumSet.of(Reason.INVALID_JSON, Reason.DUPLICATE_KEY,
            Reason.UNKNOWN_DTYPE, Reason.OVERFLOW);

    static Rejected reject(Reason r, String why) {
        return new Rejected(EnumSet.of(r), why);
    }

    static Outcome reference(byte[] image) {
        if (image.length < 8) {
            return reject(Reason.HEADER_TOO_SMALL, "fewer than 8 bytes");
        }
        long n = ByteBuffer.wrap(image, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > 100_000_000L) {
            return reject(Reason.HEADER_TOO_LARGE, "N = " + Long.toUnsignedString(n));
        }
        if (n > image.length - 8) {
            return reject(Reason.INVALID_HEADER_LENGTH, "N = " + n + " beyond the file");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(image, 8, (int) n)).toString();
        } catch (CharacterCodingException e) {
            return reject(Reason.INVALID_UTF8, e.toString());
        }
        Object root;
        try {
            root = JsonText.parse(text);
        } catch (JsonText.Bad e) {
            return new Rejected(WHILE_READING, "JSON syntax: " + e.getMessage());
        }

        // the structure: collect every problem (the parser reports the first one in text order)
        Set<Reason> found = EnumSet.noneOf(Reason.class);
        List<RefEntry> entries = new ArrayList<>();
        Map<String, String> metadata = null;
        boolean sawMetadata = false;
        Set<String> names = new HashSet<>();
        if (!(root instanceof Obj top)) {
            return reject(Reason.INVALID_JSON, "top level is not an object");
        }
        for (Member m : top.members()) {
            String key = (String) m.key();
            if (key.equals("__metadata__")) {
                if (sawMetadata) {
                    found.add(Reason.DUPLICATE_KEY);
                }
                sawMetadata = true;
                if (m.value() == Null.NULL) {
                    continue; // formats.md A.3: null is accepted as absent
                }
                if (!(m.value() instanceof Obj mo)) {
                    found.add(Reason.INVALID_JSON);
                    continue;
                }
                Map<String, String> md = new LinkedHashMap<>();
                for (Member e : mo.members()) {
                    String k = (String) e.key();
                    if (md.containsKey(k)) {
                        found.add(Reason.DUPLICATE_KEY);
                    }
                    if (e.value() instanceof String v) {
                        md.put(k, v);
                    } else {
                        found.add(Reason.INVALID_JSON);
                        md.put(k, "");
                    }
                }
                if (metadata == null) {
                    metadata = md;
                }
                continue;
            }
            if (!names.add(key)) {
                found.add(Reason.DUPLICATE_KEY);
            }
            if (!(m.value() instanceof Obj t)) {
                found.add(Reason.INVALID_JSON);
                continue;
            }
            String dtype = null;
            long[] shape = null;
            long[] offsets = null;
            Set<String> fields = new HashSet<>();
            for (Member f : t.members()) {
                String fk = (String) f.key();
                if (!fk.equals("dtype") && !fk.equals("shape") && !fk.equals("data_offsets")) {
                    continue; // unknown fields are ignored
                }
                if (!fields.add(fk)) {
                    found.add(Reason.INVALID_JSON); // duplicate field
                }
                switch (fk) {
                    case "dtype" -> {
                        if (!(f.value() instanceof String s)) {
                            found.add(Reason.INVALID_JSON);
                        } else if (!BITS.containsKey(s)) {
                            found.add(Reason.UNKNOWN_DTYPE);
                        } else {
                            dtype = s;
                        }
                    }
                    case "shape" -> shape = integers(f.value(), found);
                    default -> {
                        offsets = integers(f.value(), found);
                        if (offsets != null && offsets.length != 2) {
                            found.add(Reason.INVALID_JSON);
                            offsets = null;
                        }
                    }
                }
            }
            if (fields.size() != 3) {
                found.add(Reason.INVALID_JSON); // a missing field
            }
            if (dtype != null && shape != null && offsets != null) {
                entries.add(new RefEntry(key, dtype, shape, offsets[0], offsets[1]));
            }
        }
        if (!found.isEmpty()) {
            return new Rejected(found, "structure");
        }

        // the rules of A.5, in data order (List.sort is stable: ties keep their JSON order)
        List<RefEntry> order = new ArrayList<>(entries);
        order.sort(Comparator.comparingLong(RefEntry::begin).thenComparingLong(RefEntry::end));
        long cursor = 0;
        for (RefEntry e : order) {
            if (e.begin() != cursor || e.end() < e.begin()) {
                return reject(Reason.INVALID_OFFSET, e.describe() + " at cursor " + cursor);
            }
            long size;
            try {
                size = byteLength(e.dtype(), e.shape());
            } catch (SizeError x) {
                return reject(x.reason, e.describe());
            }
            if (e.end() - e.begin() != size) {
                return reject(Reason.TENSOR_INVALID_INFO, e.describe() + " needs " + size);
            }
            cursor = e.end();
        }
        long dataLength = image.length - 8 - n;
        if (cursor != dataLength) {
            return reject(Reason.INCOMPLETE_BUFFER, "tensors cover " + cursor + " of " + dataLength);
        }
        return new Accepted(n, order, metadata == null ? Map.of() : metadata);
    }

    /** Non-negative integers that fit a long, or null (with the reasons added). */
    private static long[] integers(Object v, Set<Reason> found) {
        if (!(v instanceof Arr a)) {
            found.add(Reason.INVALID_JSON);
            return null;
        }
        long[] out = new long[a.items().size()];
        boolean ok = true;
        for (int k = 0; k < out.length; k++) {
            if (!(a.items().get(k) instanceof Num(String t)) || t.startsWith("-") || t.contains(".")
                    || t.contains("e") || t.contains("E")) {
                found.add(Reason.INVALID_JSON);
                ok = false;
                continue;
            }
            BigInteger b = new BigInteger(t);
            if (b.bitLength() > 63) {
                found.add(Reason.OVERFLOW);
                ok = false;
                continue;
            }
            out[k] = b.longValue();
        }
        return ok ? out : null;
    }

    static final class SizeError extends Exception {
        final Reason reason;

        SizeError(Reason reason) {
            super(reason.toString(), null, false, false);
            this.reason = reason;
        }
    }

    /** numel * bits / 8 with checked products taken left to right, as the Rust reference does (A.4). */
    static long byteLength(String dtype, long[] shape) throws SizeError {
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            long bits = Math.multiplyExact(numel, (long) BITS.get(dtype));
            if (bits % 8 != 0) {
                throw new SizeError(Reason.MISALIGNED_SUBBYTE);
            }
            return bits / 8;
        } catch (ArithmeticException e) {
            throw new SizeError(Reason.OVERFLOW);
        }
    }

    /**
     * A strict RFC 8259 recursive-descent parser into {@link Obj}, {@link Arr}, String, {@link Num}, Boolean, Null.
     * It does not model JsonReader's resource limits (nesting deeper than 512, numbers longer than 4096
     * characters, both only reachable inside ignored fields); the generators stay well within them.
     */
    static final class JsonText {
        static final class Bad extends RuntimeException {
            Bad(String msg) {
                super(msg, null, false, false);
            }
        }

        private final String s;
        private int i;

        private JsonText(String s) {
            this.s = s;
        }

        static Object parse(String s) {
            JsonText j = new JsonText(s);
            j.ws();
            Object v = j.value(0);
            j.ws();
            if (j.i != s.length()) {
                throw j.bad("trailing characters");
            }
            return v;
        }

        private Bad bad(String msg) {
            return new Bad(msg + " at " + i);
        }

        private void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        private char next() {
            if (i >= s.length()) {
                throw bad("unexpected end");
            }
            return s.charAt(i++);
        }

        private boolean digitAt(int k) {
            return k < s.length() && s.charAt(k) >= '0' && s.charAt(k) <= '9';
        }

        private Object value(int depth) {
            if (depth > 2000) {
                throw bad("too deep");
            }
            if (i >= s.length()) {
                throw bad("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    i++;
                    Obj o = new Obj();
                    ws();
                    if (i < s.length() && s.charAt(i) == '}') {
                        i++;
                        return o;
                    }
                    while (true) {
                        ws();
                        if (next() != '"') {
                            throw bad("expected a key");
                        }
                        String k = string();
                        ws();
                        if (next() != ':') {
                            throw bad("expected ':'");
                        }
                        ws();
                        o.members().add(new Member(k, value(depth + 1)));
                        ws();
                        char d = next();
                        if (d == '}') {
                            return o;
                        }
                        if (d != ',') {
                            throw bad("expected ',' or '}'");
                        }
                    }
                }
                case '[' -> {
                    i++;
                    List<Object> items = new ArrayList<>();
                    ws();
                    if (i < s.length() && s.charAt(i) == ']') {
                        i++;
                        return new Arr(items);
                    }
                    while (true) {
                        ws();
                        items.add(value(depth + 1));
                        ws();
                        char d = next();
                        if (d == ']') {
                            return new Arr(items);
                        }
                        if (d != ',') {
                            throw bad("expected ',' or ']'");
                        }
                    }
                }
                case '"' -> {
                    i++;
                    return string();
                }
                case 't' -> {
                    return literal("true", Boolean.TRUE);
                }
                case 'f' -> {
                    return literal("false", Boolean.FALSE);
                }
                case 'n' -> {
                    return literal("null", Null.NULL);
                }
                default -> {
                    return number();
                }
            }
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) {
                throw bad("bad literal");
            }
            i += word.length();
            return v;
        }

        /** After the opening quote. */
        private String string() {
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return b.toString();
                }
                if (c < 0x20) {
                    throw bad("control character in string");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        char u = hex4();
                        if (Character.isHighSurrogate(u)) {
                            if (!s.startsWith("\\u", i)) {
                                throw bad("lone high surrogate");
                            }
                            i += 2;
                            char lo = hex4();
                            if (!Character.isLowSurrogate(lo)) {
                                throw bad("high surrogate without a low one");
                            }
                            b.append(u).append(lo);
                        } else if (Character.isLowSurrogate(u)) {
                            throw bad("lone low surrogate");
                        } else {
                            b.append(u);
                        }
                    }
                    default -> throw bad("invalid escape");
                }
            }
        }

        private char hex4() {
            int v = 0;
            for (int k = 0; k < 4; k++) {
                char h = next();
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0) {
                    throw bad("bad hex digit");
                }
                v = v * 16 + d;
            }
            return (char) v;
        }

        private Num number() {
            int start = i;
            if (i < s.length() && s.charAt(i) == '-') {
                i++;
            }
            if (i < s.length() && s.charAt(i) == '0') {
                i++;
            } else if (i < s.length() && s.charAt(i) >= '1' && s.charAt(i) <= '9') {
                while (digitAt(i)) {
                    i++;
                }
            } else {
                throw bad("unexpected character");
            }
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                if (!digitAt(i)) {
                    throw bad("digit expected");
                }
                while (digitAt(i)) {
                    i++;
                }
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                if (!digitAt(i)) {
                    throw bad("digit expected");
                }
                while (digitAt(i)) {
                    i++;
                }
            }
            return new Num(s.substring(start, i));
        }
    }

    // =====================================================================================================
    // The comparison
    // =====================================================================================================

    /** The reference's outcome and the parser's reason (null when it accepts). */
    record Agreement(Outcome reference, Reason ours) {
    }

    /** Parser and reference agree on {@code image}; {@code context} describes it in failures. */
    static Agreement assertAgrees(byte[] image, Object context) {
        Outcome expected = reference(image);
        SafetensorsFile f;
        try {
            f = SafetensorsFile.parse(MemorySegment.ofArray(image), "diff");
        } catch (SafetensorsException e) {
            if (!(expected instanceof Rejected r)) {
                throw new AssertionError("the parser rejects (" + e.reason() + ": " + e.getMessage()
                        + ") but the reference accepts\n" + context, e);
            }
            if (!r.reasons().contains(e.reason())) {
                throw new AssertionError("the parser rejects with " + e.reason() + " (" + e.getMessage()
                        + ") but the reference with " + r + "\n" + context, e);
            }
            if (!e.getMessage().startsWith("diff: ")) {
                throw new AssertionError("message without the display name: " + e.getMessage() + "\n" + context);
            }
            return new Agreement(expected, e.reason());
        } catch (RuntimeException | Error e) {
            throw new AssertionError("the parser threw " + e + "\n" + context, e);
        }
        if (expected instanceof Rejected r) {
            throw new AssertionError("the parser accepts (" + f.names() + ") but the reference rejects: " + r
                    + "\n" + context);
        }
        try {
            compareAccepted(f, (Accepted) expected, image);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + context, e);
        }
        return new Agreement(expected, null);
    }

    private static void compareAccepted(SafetensorsFile f, Accepted a, byte[] image) {
        List<String> names = a.entries().stream().map(RefEntry::name).toList();
        assertThat(f.headerLength()).as("header length").isEqualTo(a.headerLength());
        assertThat(f.dataStart()).as("data start").isEqualTo(8 + a.headerLength());
        assertThat(f.size()).as("size").isEqualTo(names.size());
        assertThat(List.copyOf(f.names())).as("names in data order").isEqualTo(names); // (equals: linear)
        assertThat(f.metadata()).as("metadata").isEqualTo(a.metadata());
        // every entry, looked up by name
        List<String> ours = new ArrayList<>();
        for (String name : names) {
            TensorInfo info = f.info(name);
            ours.add(info.name() + " " + info.dtype().headerName() + " " + Arrays.toString(info.shape()) + " ["
                    + info.begin() + ", " + info.end() + ")");
        }
        assertThat(ours).as("entries").isEqualTo(a.entries().stream().map(RefEntry::describe).toList());
        List<TensorInfo> infos = f.infos();
        long dataStart = 8 + a.headerLength();
        for (int k = 0; k < names.size(); k++) {
            RefEntry e = a.entries().get(k);
            if (!infos.get(k).equals(f.info(e.name()))) {
                throw new AssertionError("infos().get(" + k + ") = " + infos.get(k) + " but info(name) = " + f.info(e.name()));
            }
            if (!f.contains(e.name())) {
                throw new AssertionError("contains(" + quote(e.name()) + ") is false");
            }
            Tensor t = f.tensor(e.name());
            if (!t.dtype().headerName().equals(e.dtype()) || !Arrays.equals(t.shape(), e.shape())) {
                throw new AssertionError("tensor " + quote(e.name()) + " is " + t + ", expected " + e.describe());
            }
            MemorySegment d = t.data();
            if (d.byteSize() != e.end() - e.begin()) {
                throw new AssertionError("tensor " + quote(e.name()) + " holds " + d.byteSize() + " bytes, expected "
                        + (e.end() - e.begin()));
            }
            byte[] want = Arrays.copyOfRange(image, (int) (dataStart + e.begin()), (int) (dataStart + e.end()));
            if (!Arrays.equals(d.toArray(ValueLayout.JAVA_BYTE), want)) {
                throw new AssertionError("tensor " + quote(e.name()) + " does not view its bytes");
            }
        }
        Set<String> present = new HashSet<>(names);
        String absent = null;
        for (String probe : probes(names)) {
            boolean expected = present.contains(probe);
            if (f.contains(probe) != expected) {
                throw new AssertionError("contains(" + quote(probe) + ") is " + !expected);
            }
            if (!expected && absent == null) {
                absent = probe;
            }
        }
        if (absent != null) {
            String missing = absent;
            assertThatThrownBy(() -> f.info(missing)).isInstanceOfSatisfying(SafetensorsException.class,
                    x -> assertThat(x.reason()).isEqualTo(Reason.TENSOR_NOT_FOUND));
        }
        assertThat(f.sortedNames()).as("sortedNames").hasSameSizeAs(names);
        assertThat(new HashSet<>(f.sortedNames())).as("sortedNames").isEqualTo(present);
        assertThat(List.copyOf(f.tensors().keySet())).as("tensors()").isEqualTo(names);
    }

    /** Names to look up: variants of present names (some with the same hash code) and a few constants. */
    static Set<String> probes(List<String> names) {
        Set<String> out = new LinkedHashSet<>(List.of("", "a", "__metadata__", "dtype", "Aa", "BB"));
        for (String n : names.subList(0, Math.min(names.size(), 12))) {
            out.add(n + "x");
            out.add(n + "\0");
            out.add("\u00e9" + n);
            if (!n.isEmpty()) {
                out.add(n.substring(0, n.length() - 1));
                out.add(n.substring(1));
            }
            String twin = sameHash(n);
            if (twin != null) {
                out.add(twin);
                assertThat(twin.hashCode()).isEqualTo(n.hashCode());
            }
        }
        return out;
    }

    /** Another string with the same {@link String#hashCode}, or null: (a+1)*31 + (b-31) = a*31 + b. */
    static String sameHash(String s) {
        for (int k = 0; k + 1 < s.length(); k++) {
            char a = s.charAt(k);
            char b = s.charAt(k + 1);
            char a2 = (char) (a + 1);
            char b2 = (char) (b - 31);
            if (b >= 31 && a < 0xFFFF && !Character.isSurrogate(a) && !Character.isSurrogate(a2)
                    && !Character.isSurrogate(b) && !Character.isSurrogate(b2)) {
                return s.substring(0, k) + a2 + b2 + s.substring(k + 2);
            }
        }
        return null;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                b.append((char) c);
            } else if (c == '"' || c == '\\') {
                b.append('\\').append((char) c);
            } else {
                b.append(String.format(c > 0xFFFF ? "\\u{%X}" : "\\u%04X", c));
            }
        });
        return b.append('"').toString();
    }

    /** The header length and the header bytes (printable ASCII as is, the rest as \xNN), for failure messages. */
    static String describeImage(byte[] image) {
        if (image.length < 8) {
            return "image of " + image.length + " bytes";
        }
        long n = ByteBuffer.wrap(image, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int shown = (int) Math.min(Math.max(n, 0), image.length - 8);
        StringBuilder b = new StringBuilder("N=").append(n).append(", ").append(image.length - 8 - shown)
                .append(" bytes after the header, header: \"");
        for (int k = 8; k < 8 + Math.min(shown, 20_000); k++) {
            int c = image[k] & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                b.append((char) c);
            } else if (c == '"' || c == '\\') {
                b.append('\\').append((char) c);
            } else {
                b.append(String.format("\\x%02X", c));
            }
        }
        return b.append(shown > 20_000 ? "...\"" : "\"").toString();
    }

    // =====================================================================================================
    // Generation
    // =====================================================================================================

    enum Fault {
        NONE, DUP_NAME, DUP_META_KEY, DUP_METADATA, UNKNOWN_DTYPE, STRUCTURE, BAD_STRING, TEXT, LEADING_ZERO, BIG_NUMBER,
        OFFSETS, SHAPE, DATA_LENGTH, SUBBYTE, SIZE_OVERFLOW, HEADER_LENGTH
    }

    /**
     * A generated image. {@code expected}: the reason its single fault must give, or null (no fault, or one whose
     * reason only the reference can tell). {@code model}: the entries in data order and the metadata of a valid case.
     */
    record Case(String label, byte[] image, Fault fault, Reason expected, List<RefEntry> model,
                Map<String, String> metadata) {
        @Override
        public String toString() {
            return label + "; " + describeImage(image);
        }
    }

    /** How a header is written. */
    record Style(boolean rust, double ws, double esc, double escWhole, double shuffle, double extra) {
        static Style random(RandomGenerator r) {
            if (r.nextInt(5) < 2) {
                return new Style(true, 0, 0, 0, 0, 0);
            }
            double[] ws = {0, 0.03, 0.25, 1};
            double[] some = {0, 0, 0.05, 0.3};
            return new Style(false, ws[r.nextInt(4)], some[r.nextInt(4)], some[r.nextInt(4)], some[r.nextInt(4)] * 2,
                    some[r.nextInt(4)]);
        }
    }

    private static final class Spec {
        final String name;
        final String dtype;
        final long[] shape;
        long begin;
        long end;

        Spec(String name, String dtype, long[] shape) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
        }

        RefEntry entry() {
            return new RefEntry(name, dtype, shape, begin, end);
        }
    }

    private static final String[] WS = {" ", "\n", "\t", "\r", "\r\n", "  ", " \t "};
    private static final int[] NAME_LENGTHS = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31,
        32, 33, 40, 64};
    private static final String IDENT = "abcdefghijklmnopqrstuvwxyz0123456789._";
    private static final String[] EXOTIC = {"\u00e9", "\u00df", "\u4e2d", "\u6587", "\ud83d\ude00", "\u0080", "\u07ff",
        "\u0800", "\ufffd", "\ufeff", "\u2028", "\ud83e\udd16", "\u00ff", "\u0100", "\uffff", "\udbff\udfff"};
    private static final String CONTROL = "\u0000\u0001\b\t\n\u000b\f\r\u001b\u001f\u007f";
    private static final String[] META_LIKE = {"__metadata_", "__metadata___", "_metadata__", "__METADATA__",
        "__metadata__ ", " __metadata__", "__metadatb__", "__metadata", "__metadata__\u0000", "__metadat\u00e9__"};
    private static final String[] COLLIDING = {"Aa", "BB", "C#"}; // equal String hash codes
    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int k = 1; k < 19; k++) {
            POW10[k] = POW10[k - 1] * 10;
        }
    }

    static String ident(RandomGenerator r, int len) {
        StringBuilder b = new StringBuilder();
        while (b.length() < len) {
            b.append(IDENT.charAt(r.nextInt(IDENT.length())));
        }
        return b.toString();
    }

    /** A tensor name: lengths around 8-byte words, escapes, non-ASCII, hash-colliding, metadata look-alikes. */
    static String randomName(RandomGenerator r) {
        int mode = r.nextInt(12);
        if (mode == 11) {
            return META_LIKE[r.nextInt(META_LIKE.length)];
        }
        int len = r.nextInt(4) == 0 ? r.nextInt(101) : NAME_LENGTHS[r.nextInt(NAME_LENGTHS.length)];
        StringBuilder b = new StringBuilder();
        while (b.length() < len) {
            switch (mode) {
                case 0, 1, 2, 3, 4 -> b.append(IDENT.charAt(r.nextInt(IDENT.length())));
                case 5, 6 -> b.append((char) (0x20 + r.nextInt(0x5F))); // printable ASCII, '"' and '\' included
                case 7 -> b.append(r.nextInt(4) == 0 ? CONTROL.charAt(r.nextInt(CONTROL.length()))
                        : IDENT.charAt(r.nextInt(IDENT.length())));
                case 8, 9 -> {
                    if (r.nextInt(3) == 0) {
                        b.append(EXOTIC[r.nextInt(EXOTIC.length)]);
                    } else {
                        b.append(IDENT.charAt(r.nextInt(IDENT.length())));
                    }
                }
                default -> b.append(COLLIDING[r.nextInt(COLLIDING.length)]);
            }
        }
        return b.toString();
    }

    static long bigNumber(RandomGenerator r) {
        if (r.nextInt(4) == 0) {
            int d = 1 + r.nextInt(18);
            return switch (r.nextInt(3)) {
                case 0 -> POW10[d] - 1;
                case 1 -> POW10[d];
                default -> Long.MAX_VALUE;
            };
        }
        int digits = 1 + r.nextInt(19);
        long lo = digits == 1 ? 0 : POW10[digits - 1];
        long hi = digits == 19 ? Long.MAX_VALUE : POW10[digits] - 1;
        return lo + Math.floorMod(r.nextLong(), hi - lo + 1);
    }

    static long[] randomShape(RandomGenerator r) {
        int kind = r.nextInt(20);
        if (kind < 3) {
            return new long[0];
        }
        if (kind < 13) {
            int rank = 1 + r.nextInt(4);
            long[] s = new long[rank];
            for (int k = 0; k < rank; k++) {
                s[k] = r.nextInt(12) == 0 ? 0 : 1 + r.nextInt(rank > 2 ? 4 : 12);
            }
            return s;
        }
        if (kind < 16) { // ranks 5..20 (the fast path reads up to 16 dims): mostly ones
            int rank = 5 + r.nextInt(16);
            long[] s = new long[rank];
            Arrays.fill(s, 1);
            for (int k = r.nextInt(4); k > 0; k--) {
                s[r.nextInt(rank)] = 2 + r.nextInt(2);
            }
            if (r.nextInt(8) == 0) {
                s[r.nextInt(rank)] = 0;
            }
            return s;
        }
        // many digits: a zero dimension (after at most one big one) keeps the size 0
        int rank = 1 + r.nextInt(6);
        long[] s = new long[rank];
        int zeroAt = r.nextInt(rank);
        for (int k = 0; k < rank; k++) {
            if (k < zeroAt) {
                s[k] = k == zeroAt - 1 && r.nextInt(3) == 0 ? bigNumber(r) : 1 + r.nextInt(3);
            } else {
                s[k] = k == zeroAt ? 0 : bigNumber(r);
            }
        }
        return s;
    }

    /** A shape whose byte length is valid and at most 1 KiB. */
    static long[] validShape(RandomGenerator r, String dtype) {
        for (int attempt = 0; attempt < 30; attempt++) {
            long[] s = randomShape(r);
            try {
                if (byteLength(dtype, s) <= 1024) {
                    return s;
                }
            } catch (SizeError e) {
                if (e.reason == Reason.MISALIGNED_SUBBYTE) {
                    long[] t = Arrays.copyOf(s, s.length + 1);
                    t[s.length] = 4; // 4 values of 4 or 6 bits end on a byte
                    try {
                        if (byteLength(dtype, t) <= 1024) {
                            return t;
                        }
                    } catch (SizeError ignored) {
                        // try another
                    }
                }
            }
        }
        return new long[] {4};
    }

    private static final String[] EXTRA_KEYS = {"extra", "dtype_", "shape ", " dtype", "data_offsets2", "DTYPE",
        "Shape", "", "__metadata__", "offsets", "data-offsets", "dtypes", "d", "data_offset", "dtype\u0000",
        "shap\u00e9", "\ud83d\ude00"};
    private static final String[] EXTRA_NUMBERS = {"0", "-0", "1", "-1", "0.5", "-12.25e-3", "1E400", "1e+2",
        "123456789012345678901234567890", "-9223372036854775809", "3.0", "18446744073709551616", "12345678",
        "123456789", "1234567890123456", "12345678901234567"};

    static Object extraKey(RandomGenerator r) {
        String k = r.nextInt(3) == 0 ? randomName(r) : EXTRA_KEYS[r.nextInt(EXTRA_KEYS.length)];
        if (k.equals("dtype") || k.equals("shape") || k.equals("data_offsets")) {
            k = k + "_";
        }
        return r.nextInt(5) == 0 ? new Esc(k) : k;
    }

    /** Any JSON value (objects may repeat keys: inside an ignored field that is fine). */
    static Object randomJson(RandomGenerator r, int depth) {
        return switch (r.nextInt(depth > 0 ? 9 : 6)) {
            case 0, 1 -> new Num(EXTRA_NUMBERS[r.nextInt(EXTRA_NUMBERS.length)]);
            case 2 -> r.nextBoolean() ? randomName(r) : new Esc(randomName(r));
            case 3 -> r.nextBoolean();
            case 4 -> Null.NULL;
            case 5 -> new Num(Long.toString(bigNumber(r)));
            case 6, 7 -> {
                List<Object> items = new ArrayList<>();
                for (int k = r.nextInt(4); k > 0; k--) {
                    items.add(randomJson(r, depth - 1));
                }
                yield new Arr(items);
            }
            default -> {
                Obj o = new Obj();
                for (int k = r.nextInt(4); k > 0; k--) {
                    o.members().add(new Member(List.of("a", "b", "dtype", "shape", "a").get(r.nextInt(5)),
                            randomJson(r, depth - 1)));
                }
                yield o;
            }
        };
    }

    static Object maybeEsc(RandomGenerator r, Style st, String s) {
        return !st.rust() && r.nextDouble() < st.escWhole() ? new Esc(s) : s;
    }

    static Arr numbers(long... values) {
        List<Object> items = new ArrayList<>();
        for (long v : values) {
            items.add(new Num(Long.toString(v)));
        }
        return new Arr(items);
    }

    static Obj tensorEntry(RandomGenerator r, Style st, String dtype, long[] shape, long begin, long end) {
        List<Member> ms = new ArrayList<>();
        ms.add(new Member(maybeEsc(r, st, "dtype"), maybeEsc(r, st, dtype)));
        ms.add(new Member(maybeEsc(r, st, "shape"), numbers(shape)));
        ms.add(new Member(maybeEsc(r, st, "data_offsets"), numbers(begin, end)));
        if (!st.rust()) {
            if (r.nextDouble() < st.shuffle()) {
                Collections.shuffle(ms, r);
            }
            if (r.nextDouble() < st.extra()) {
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    ms.add(r.nextInt(ms.size() + 1), new Member(extraKey(r), randomJson(r, 2)));
                }
            }
        }
        return new Obj(ms);
    }

    /** Writes JSON values with a style's whitespace and optional escapes. */
    static final class Renderer {
        private final RandomGenerator r;
        private final double ws;
        private final double esc;
        final StringBuilder out = new StringBuilder();

        Renderer(RandomGenerator r, double ws, double esc) {
            this.r = r;
            this.ws = ws;
            this.esc = esc;
        }

        private void ws() {
            if (ws > 0 && r.nextDouble() < ws) {
                out.append(WS[r.nextInt(WS.length)]);
            }
        }

        void value(Object v) {
            switch (v) {
                case Obj o -> {
                    out.append('{');
                    for (int k = 0; k < o.members().size(); k++) {
                        if (k > 0) {
                            ws();
                            out.append(',');
                        }
                        ws();
                        value(o.members().get(k).key());
                        ws();
                        out.append(':');
                        ws();
                        value(o.members().get(k).value());
                    }
                    ws();
                    out.append('}');
                }
                case Arr a -> {
                    out.append('[');
                    for (int k = 0; k < a.items().size(); k++) {
                        if (k > 0) {
                            ws();
                            out.append(',');
                        }
                        ws();
                        value(a.items().get(k));
                    }
                    ws();
                    out.append(']');
                }
                case String s -> string(s, false);
                case Esc e -> string(e.s(), true);
                case Num n -> out.append(n.text());
                case Raw x -> out.append(x.text());
                case Boolean b -> out.append(b);
                case Null x -> out.append("null");
                default -> throw new IllegalArgumentException(String.valueOf(v));
            }
        }

        private void string(String s, boolean force) {
            out.append('"');
            int[] cps = s.codePoints().toArray();
            int forced = force && cps.length > 0 ? r.nextInt(cps.length) : -1;
            for (int k = 0; k < cps.length; k++) {
                codePoint(cps[k], k == forced || (esc > 0 && r.nextDouble() < esc));
            }
            out.append('"');
        }

        private void codePoint(int c, boolean optional) {
            switch (c) {
                case '"' -> out.append(optional ? hex(c) : "\\\"");
                case '\\' -> out.append(optional ? hex(c) : "\\\\");
                case '\b' -> out.append(optional ? hex(c) : "\\b");
                case '\f' -> out.append(optional ? hex(c) : "\\f");
                case '\n' -> out.append(optional ? hex(c) : "\\n");
                case '\r' -> out.append(optional ? hex(c) : "\\r");
                case '\t' -> out.append(optional ? hex(c) : "\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(hex(c));
                    } else if (!optional) {
                        out.appendCodePoint(c);
                    } else if (c == '/' && r.nextBoolean()) {
                        out.append("\\/");
                    } else if (c > 0xFFFF) {
                        out.append(hex(Character.highSurrogate(c))).append(hex(Character.lowSurrogate(c)));
                    } else {
                        out.append(hex(c));
                    }
                }
            }
        }

        private String hex(int c) {
            return String.format(r.nextBoolean() ? "\\u%04X" : "\\u%04x", c);
        }
    }

    static String keyText(Member m) {
        return m.key() instanceof Esc e ? e.s() : m.key() instanceof String s ? s : null;
    }

    static Member field(Obj entry, String name) {
        for (Member m : entry.members()) {
            if (name.equals(keyText(m))) {
                return m;
            }
        }
        throw new IllegalStateException(name);
    }

    static void replace(List<Member> members, Member old, Member now) {
        for (int k = 0; k < members.size(); k++) {
            if (members.get(k) == old) {
                members.set(k, now);
                return;
            }
        }
        throw new IllegalStateException();
    }

    static String freshName(RandomGenerator r, Set<String> used) {
        String n = ident(r, 1 + r.nextInt(12));
        while (used.contains(n) || n.equals("__metadata__")) {
            n = n + r.nextInt(10);
        }
        used.add(n);
        return n;
    }

    static final String[] BAD_DTYPES = {"f32", "F128", "C128", "I4", "U4", "F8", "F8_E4M3FN", "F8_E4M3FNUZZ",
        "F8_E5M2FNU", "F6_E2M", "F6_E3M2_", "BF32", "F16 ", " F16", "", "BOOL\0", "U8\0", "F32\"", "F64\\", "bool",
        "Bool", "FP32", "float32", "F\u06632", "\uff2632", "F3", "F32F32", "F8_E4M3F", "F8_E8M0FNU", "U64 ",
        "F6_E2M3\0", "I16I", "F\u00e9"};
    static final String[] BAD_INTEGERS = {"-1", "-0", "1.0", "1e0", "1E+2", "0.5", "-3"};
    static final String[] OVERFLOWS = {"9223372036854775808", "9999999999999999999", "18446744073709551615",
        "18446744073709551616", "99999999999999999999999", "10000000000000000000"};
    static final String[] BAD_STRINGS = {"\"a\\x\"", "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00x\"", "\"\\uD800\\u0041\"",
        "\"a\u0001b\"", "\"tab\there\"", "\"\\uZZZZ\"", "\"\\U0041\"", "\"\\u00e9\\ud83d\"", "\"nl\nx\"", "\"\\'\"",
        "\"a\\", "'a'", "a"};

    /** Generates a case: valid, or with one fault. */
    static Case generate(RandomGenerator r, Fault fault) {
        return generate(r, fault, -1);
    }

    static Case generate(RandomGenerator r, Fault fault, int forcedCount) {
        Style st = Style.random(r);
        int count = forcedCount >= 0 ? forcedCount : switch (r.nextInt(20)) {
            case 0 -> 0;
            case 1, 2, 3 -> 17 + r.nextInt(40);
            case 4 -> 60 + r.nextInt(140);
            default -> 1 + r.nextInt(10);
        };
        if (count == 0 && fault != Fault.NONE && fault != Fault.TEXT && fault != Fault.HEADER_LENGTH
                && fault != Fault.DATA_LENGTH && fault != Fault.DUP_META_KEY && fault != Fault.DUP_METADATA) {
            count = 1;
        }
        // a long first name, then short ones: the parser's first estimate of the entry count is too low
        boolean longFirst = count > 16 && r.nextBoolean();
        Set<String> used = new HashSet<>();
        List<Spec> data = new ArrayList<>(); // data order
        for (int k = 0; k < count; k++) {
            String name = longFirst ? ident(r, k == 0 ? 60 + r.nextInt(41) : r.nextInt(4))
                    : forcedCount > 0 && r.nextInt(4) > 0 ? ident(r, 50 + r.nextInt(51)) : randomName(r);
            while (used.contains(name) || name.equals("__metadata__")) {
                name = name + (char) ('a' + r.nextInt(26));
            }
            used.add(name);
            String dtype = DTYPE_NAMES.get(r.nextInt(DTYPE_NAMES.size()));
            data.add(new Spec(name, dtype, validShape(r, dtype)));
        }
        long cursor = 0;
        for (Spec s : data) {
            try {
                s.begin = cursor;
                s.end = cursor + byteLength(s.dtype, s.shape);
            } catch (SizeError e) {
                throw new AssertionError(e);
            }
            cursor = s.end;
        }
        long dataLength = cursor;
        List<Spec> json = new ArrayList<>(data);
        switch (r.nextInt(10)) {
            case 0, 1 -> Collections.shuffle(json, r);
            case 2 -> Collections.reverse(json);
            case 3 -> json.sort(Comparator.comparing(s -> s.name));
            default -> {
                // the Rust writer's order: data order
            }
        }

        Obj root = new Obj();
        List<Member> members = root.members();
        List<Member> tensors = new ArrayList<>();
        for (Spec s : json) {
            Member m = new Member(maybeEsc(r, st, s.name), tensorEntry(r, st, s.dtype, s.shape, s.begin, s.end));
            members.add(m);
            tensors.add(m);
        }
        Map<String, String> metadata = Map.of();
        Member metaMember = null;
        int mk = r.nextInt(20);
        if (mk >= 9) {
            Object value;
            if (mk == 9) {
                value = Null.NULL;
            } else {
                Obj mo = new Obj();
                Map<String, String> md = new LinkedHashMap<>();
                int pairs = mk < 12 ? 0 : 1 + r.nextInt(5);
                for (int k = 0; k < pairs; k++) {
                    String key = r.nextInt(4) == 0 ? List.of("format", "dtype", "shape", "data_offsets",
                            "__metadata__", "").get(r.nextInt(6)) : randomName(r);
                    String val = r.nextInt(4) == 0 ? "pt" : randomName(r);
                    if (md.containsKey(key)) {
                        continue;
                    }
                    md.put(key, val);
                    mo.members().add(new Member(maybeEsc(r, st, key), maybeEsc(r, st, val)));
                }
                value = mo;
                metadata = md;
            }
            metaMember = new Member(maybeEsc(r, st, "__metadata__"), value);
            members.add(st.rust() || r.nextInt(3) > 0 ? 0 : r.nextInt(members.size() + 1), metaMember);
        }
        List<RefEntry> model = json.stream()
                .sorted(Comparator.comparingLong((Spec s) -> s.begin).thenComparingLong(s -> s.end))
                .map(Spec::entry).toList();

        // the fault
        Reason expected = null;
        String detail = "";
        long nDelta = 0;
        long nValue = -1;
        int textEdit = -1;
        Obj victim = tensors.isEmpty() ? null : (Obj) tensors.get(r.nextInt(tensors.size())).value();
        switch (fault) {
            case NONE -> {
            }
            case DUP_NAME -> {
                Member orig = tensors.get(r.nextInt(tensors.size()));
                String name = keyText(orig);
                Object key = orig.key() instanceof Esc ? name : new Esc(name); // e.g. "ab" and "a\u0062"
                Object value = r.nextBoolean() ? orig.value() : tensors.get(r.nextInt(tensors.size())).value();
                members.add(r.nextInt(members.size() + 1), new Member(key, value));
                expected = Reason.DUPLICATE_KEY;
                detail = quote(name);
            }
            case DUP_META_KEY -> {
                Obj mo = new Obj();
                String key = randomName(r);
                mo.members().add(new Member(key, "v"));
                if (metaMember != null && metaMember.value() instanceof Obj existing && !existing.members().isEmpty()) {
                    mo = existing;
                    key = keyText(existing.members().get(r.nextInt(existing.members().size())));
                } else if (metaMember != null) {
                    replace(members, metaMember, new Member("__metadata__", mo));
                } else {
                    members.add(r.nextInt(members.size() + 1), new Member("__metadata__", mo));
                }
                mo.members().add(r.nextInt(mo.members().size() + 1), new Member(r.nextBoolean() ? new Esc(key) : key,
                        r.nextBoolean() ? "v" : new Esc("w")));
                expected = Reason.DUPLICATE_KEY;
                detail = quote(key);
            }
            case DUP_METADATA -> {
                int copies = metaMember == null ? 2 : 1;
                for (int k = 0; k < copies; k++) {
                    Object value = switch (r.nextInt(3)) {
                        case 0 -> Null.NULL;
                        case 1 -> new Obj();
                        default -> new Obj(new ArrayList<>(List.of(new Member("k", "v"))));
                    };
                    members.add(r.nextInt(members.size() + 1),
                            new Member(r.nextBoolean() ? "__metadata__" : new Esc("__metadata__"), value));
                }
                expected = Reason.DUPLICATE_KEY;
            }
            case UNKNOWN_DTYPE -> {
                String bad = BAD_DTYPES[r.nextInt(BAD_DTYPES.length)];
                Member dt = field(victim, "dtype");
                replace(victim.members(), dt, new Member(dt.key(), r.nextInt(4) == 0 ? new Esc(bad) : bad));
                expected = Reason.UNKNOWN_DTYPE;
                detail = quote(bad);
            }
            case STRUCTURE -> {
                expected = Reason.INVALID_JSON;
                detail = structureFault(r, victim, members, tensors, metaMember);
            }
            case BAD_STRING -> {
                String bad = BAD_STRINGS[r.nextInt(BAD_STRINGS.length)];
                Object value = r.nextBoolean() ? Null.NULL : tensorEntry(r, st, "U8", new long[] {0}, 0, 0);
                if (r.nextBoolean()) {
                    members.add(r.nextInt(members.size() + 1), new Member(new Raw(bad), value));
                } else { // as a dtype value
                    Member dt = field(victim, "dtype");
                    replace(victim.members(), dt, new Member(dt.key(), new Raw(bad)));
                }
                expected = Reason.INVALID_JSON;
                detail = bad;
            }
            case TEXT -> {
                textEdit = r.nextInt(8);
                expected = Reason.INVALID_JSON;
            }
            case LEADING_ZERO -> {
                Arr target = (Arr) field(victim, r.nextBoolean() ? "shape" : "data_offsets").value();
                if (target.items().isEmpty()) {
                    target = (Arr) field(victim, "data_offsets").value();
                }
                int k = r.nextInt(target.items().size());
                String zeros = "0".repeat(1 + r.nextInt(r.nextBoolean() ? 2 : 17));
                String num = zeros + ((Num) target.items().get(k)).text();
                target.items().set(k, new Num(num));
                expected = Reason.INVALID_JSON;
                detail = num;
            }
            case BIG_NUMBER -> {
                Arr target = (Arr) field(victim, r.nextBoolean() ? "shape" : "data_offsets").value();
                if (target.items().isEmpty()) {
                    target = (Arr) field(victim, "data_offsets").value();
                }
                String big = OVERFLOWS[r.nextInt(OVERFLOWS.length)];
                target.items().set(r.nextInt(target.items().size()), new Num(big));
                expected = Reason.OVERFLOW;
                detail = big;
            }
            case OFFSETS -> {
                Arr off = (Arr) field(victim, "data_offsets").value();
                long b = Long.parseLong(((Num) off.items().get(0)).text());
                long e = Long.parseLong(((Num) off.items().get(1)).text());
                long d = 1 + r.nextInt(3);
                switch (r.nextInt(6)) {
                    case 0 -> {
                        b += d;
                        e += d;
                    }
                    case 1 -> e += r.nextBoolean() ? d : -Math.min(d, e);
                    case 2 -> b = Math.max(0, b - d);
                    case 3 -> {
                        long t = b;
                        b = e;
                        e = t;
                    }
                    case 4 -> e = bigNumber(r);
                    default -> {
                        Arr other = (Arr) field((Obj) tensors.get(r.nextInt(tensors.size())).value(), "data_offsets").value();
                        b = Long.parseLong(((Num) other.items().get(0)).text());
                        e = Long.parseLong(((Num) other.items().get(1)).text());
                    }
                }
                off.items().set(0, new Num(Long.toString(b)));
                off.items().set(1, new Num(Long.toString(e)));
                detail = "[" + b + ", " + e + "]";
            }
            case SHAPE -> {
                Arr shape = (Arr) field(victim, "shape").value();
                List<Object> items = shape.items();
                if (items.isEmpty() || r.nextInt(4) == 0) {
                    items.add(r.nextInt(items.size() + 1), new Num(Integer.toString(r.nextInt(4))));
                } else {
                    int k = r.nextInt(items.size());
                    long v = Long.parseLong(((Num) items.get(k)).text());
                    switch (r.nextInt(4)) {
                        case 0 -> items.remove(k);
                        case 1 -> items.set(k, new Num(Long.toString(v == Long.MAX_VALUE ? 0 : v + 1)));
                        case 2 -> items.set(k, new Num(Long.toString(v == 0 ? 3 : v - 1)));
                        default -> items.set(k, new Num(Long.toString(bigNumber(r))));
                    }
                }
            }
            case DATA_LENGTH -> {
                long d = 1 + r.nextInt(3);
                dataLength = dataLength == 0 || r.nextBoolean() ? dataLength + d : Math.max(0, dataLength - d);
                expected = Reason.INCOMPLETE_BUFFER;
            }
            case SUBBYTE -> {
                String dtype = List.of("F4", "F6_E2M3", "F6_E3M2").get(r.nextInt(3));
                long[][] shapes = dtype.equals("F4") ? new long[][] {{1}, {3}, {5}, {3, 3}, {1, 1, 7}, {3, 5, 7}}
                        : new long[][] {{1}, {2}, {3}, {5}, {2, 3}, {6}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}};
                long[] shape = shapes[r.nextInt(shapes.length)];
                long numel = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
                long bytes = numel * BITS.get(dtype) / 8;
                members.add(r.nextInt(members.size() + 1), new Member(freshName(r, used),
                        tensorEntry(r, st, dtype, shape, dataLength, dataLength + bytes)));
                dataLength += bytes;
                expected = Reason.MISALIGNED_SUBBYTE;
                detail = dtype + Arrays.toString(shape);
            }
            case SIZE_OVERFLOW -> {
                long[][] shapes = {{4294967296L, 4294967296L}, {2, Long.MAX_VALUE}, {3037000500L, 3037000500L},
                    {1152921504606846976L, 64}, {1_000_000_000_000_000_000L, 10, 0}, {Long.MAX_VALUE, 2, 0},
                    {2305843009213693952L, 4}};
                long[] shape = shapes[r.nextInt(shapes.length)];
                String dtype = DTYPE_NAMES.get(r.nextInt(DTYPE_NAMES.size()));
                members.add(r.nextInt(members.size() + 1), new Member(freshName(r, used),
                        tensorEntry(r, st, dtype, shape, dataLength, dataLength)));
                expected = Reason.OVERFLOW;
                detail = dtype + Arrays.toString(shape);
            }
            case HEADER_LENGTH -> {
                switch (r.nextInt(4)) {
                    case 0, 1 -> nDelta = r.nextInt(9) - 4;
                    case 2 -> nValue = List.of(-1L, Long.MAX_VALUE, 100_000_001L, 100_000_000L, 0L, Long.MIN_VALUE)
                            .get(r.nextInt(6));
                    default -> nDelta = r.nextInt(200) - 100;
                }
            }
        }

        // write it
        Renderer w = new Renderer(r, st.ws(), st.esc());
        if (!st.rust() && r.nextInt(5) == 0) {
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                w.out.append(WS[r.nextInt(WS.length)]);
            }
        }
        w.value(root);
        String text = w.out.toString();
        if (st.rust() || r.nextBoolean()) {
            int len = text.getBytes(StandardCharsets.UTF_8).length;
            text = text + " ".repeat((8 - len % 8) % 8);
        } else {
            StringBuilder pad = new StringBuilder();
            for (int k = r.nextInt(6); k > 0; k--) {
                pad.append(WS[r.nextInt(WS.length)]);
            }
            text = text + pad;
        }
        switch (textEdit) {
            case -1 -> {
            }
            case 0 -> text = text + List.of("x", "}", ",", "\0", "{}", "null", "\0\0\0\0", "]").get(r.nextInt(8));
            case 1 -> text = List.of("\ufeff", "\u00a0", "\0", "x").get(r.nextInt(4)) + text;
            case 2 -> {
                int at = text.lastIndexOf('}');
                text = text.substring(0, at) + text.substring(at + 1);
            }
            case 3 -> text = "[" + text + "]";
            case 4 -> text = List.of("", " ", "\n\t", "null", "\"x\"", "1", "[]", "{").get(r.nextInt(8));
            case 5 -> {
                int at = text.lastIndexOf('}');
                text = text.substring(0, at) + "," + text.substring(at);
            }
            case 6 -> {
                int at = text.indexOf('{');
                text = text.substring(0, at + 1) + "," + text.substring(at + 1);
            }
            default -> {
                int at = text.lastIndexOf('}');
                text = text.substring(0, at) + "\f" + text.substring(at); // form feed is not JSON whitespace
            }
        }
        byte[] header = text.getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[(int) dataLength];
        r.nextBytes(bytes);
        long n = nValue != -1 ? nValue : Math.max(0, header.length + nDelta);
        String label = fault + (detail.isEmpty() ? "" : " " + detail) + ", " + count + " tensors, " + st;
        return new Case(label, TestFiles.image(n, header, bytes), fault, expected, model, metadata);
    }

    /** One structural error (INVALID_JSON); returns a description. */
    private static String structureFault(RandomGenerator r, Obj victim, List<Member> members, List<Member> tensors,
                                         Member metaMember) {
        String[] required = {"dtype", "shape", "data_offsets"};
        switch (r.nextInt(9)) {
            case 0 -> {
                String f = required[r.nextInt(3)];
                victim.members().remove(field(victim, f));
                return "missing " + f;
            }
            case 1 -> {
                String f = required[r.nextInt(3)];
                Member m = field(victim, f);
                victim.members().add(r.nextInt(victim.members().size() + 1),
                        new Member(r.nextBoolean() ? new Esc(f) : f, m.value()));
                return "duplicate field " + f;
            }
            case 2 -> {
                Arr off = (Arr) field(victim, "data_offsets").value();
                switch (r.nextInt(3)) {
                    case 0 -> off.items().clear();
                    case 1 -> off.items().remove(r.nextInt(2));
                    default -> off.items().add(r.nextInt(3), new Num("0"));
                }
                return "data_offsets " + off.items().size();
            }
            case 3 -> {
                Arr target = (Arr) field(victim, r.nextBoolean() ? "shape" : "data_offsets").value();
                if (target.items().isEmpty()) {
                    target = (Arr) field(victim, "data_offsets").value();
                }
                Object bad = r.nextInt(3) > 0 ? new Num(BAD_INTEGERS[r.nextInt(BAD_INTEGERS.length)])
                        : List.of("1", Null.NULL, true, new Arr(new ArrayList<>()), new Obj()).get(r.nextInt(5));
                target.items().set(r.nextInt(target.items().size()), bad);
                return "bad integer " + bad;
            }
            case 4 -> {
                Member dt = field(victim, "dtype");
                Object bad = List.of(new Num("32"), Null.NULL, new Arr(new ArrayList<>(List.of("F32"))), new Obj(), false)
                        .get(r.nextInt(5));
                replace(victim.members(), dt, new Member(dt.key(), bad));
                return "dtype " + bad;
            }
            case 5 -> {
                String f = r.nextBoolean() ? "shape" : "data_offsets";
                Member m = field(victim, f);
                Object bad = List.of(new Num("2"), "[1]", Null.NULL, new Obj(), true).get(r.nextInt(5));
                replace(victim.members(), m, new Member(m.key(), bad));
                return f + " " + bad;
            }
            case 6 -> {
                Member t = tensors.get(r.nextInt(tensors.size()));
                Object bad = List.of(new Arr(new ArrayList<>()), "F32", new Num("0"), Null.NULL, true)
                        .get(r.nextInt(5));
                replace(members, t, new Member(t.key(), bad));
                return "entry " + bad;
            }
            case 7 -> {
                Obj mo = new Obj();
                mo.members().add(new Member("a", "b"));
                Object bad = List.of(new Num("1"), Null.NULL, new Obj(), new Arr(new ArrayList<>()), true)
                        .get(r.nextInt(5));
                mo.members().add(r.nextInt(2), new Member("k", bad));
                if (metaMember != null) {
                    replace(members, metaMember, new Member("__metadata__", mo));
                } else {
                    members.add(r.nextInt(members.size() + 1), new Member("__metadata__", mo));
                }
                return "metadata value " + bad;
            }
            default -> {
                Object bad = List.of("x", new Num("1"), new Arr(new ArrayList<>()), true, "").get(r.nextInt(5));
                if (metaMember != null) {
                    replace(members, metaMember, new Member("__metadata__", bad));
                } else {
                    members.add(r.nextInt(members.size() + 1), new Member("__metadata__", bad));
                }
                return "metadata " + bad;
            }
        }
    }

    // =====================================================================================================
    // Mutation
    // =====================================================================================================

    private static final byte[] SPECIAL = bytes("{}[]\":,0123456789-.eE \n\t\r\\u/xa", 0x00, 0x7F, 0x80, 0xC3, 0xA9,
            0xE2, 0xED, 0xF0, 0xFF, 0x1F, 0xC0);
    private static final String[] SNIPPETS = {"\\u0041", "\\\"", "\\\\", "\"__metadata__\":null,", ",\"x\":1", "\"ab\"",
        "\"a\\u0062\"", "\u00e9", "\ud83d\ude00", "00", "9223372036854775808", "[", "]", "  ", ",\"dtype\":\"F32\"",
        "\"shape\":[1,2,3],", "1e3", "-", ".5", "\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},",
        "\"__metadata__\":{\"k\":\"v\"},", "\"F4\"", "\"F8_E4M3FNUZ\"", "0,", ",0"};

    private static byte[] bytes(String ascii, int... more) {
        byte[] b = Arrays.copyOf(ascii.getBytes(StandardCharsets.ISO_8859_1), ascii.length() + more.length);
        for (int k = 0; k < more.length; k++) {
            b[ascii.length() + k] = (byte) more[k];
        }
        return b;
    }

    private static byte[] insert(byte[] h, int at, byte[] what) {
        byte[] out = new byte[h.length + what.length];
        System.arraycopy(h, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(h, at, out, at + what.length, h.length - at);
        return out;
    }

    private static byte[] delete(byte[] h, int at, int len) {
        byte[] out = new byte[h.length - len];
        System.arraycopy(h, 0, out, 0, at);
        System.arraycopy(h, at + len, out, at, h.length - at - len);
        return out;
    }

    static byte[] mutate(RandomGenerator r, byte[] h, StringBuilder log) {
        int len = h.length;
        int pick = r.nextInt(20); // byte edits, then numbers and dtypes (which mostly reach the offset rules)
        int op = pick < 10 ? pick : pick < 16 ? 10 : 12;
        if (len == 0 && op != 3 && op != 4) {
            op = 3;
        }
        int pos = len == 0 ? 0 : r.nextInt(len);
        switch (op) {
            case 0 -> {
                int bit = r.nextInt(4) == 0 ? 7 : r.nextInt(7); // mostly staying ASCII
                h[pos] ^= (byte) (1 << bit);
                log.append(" flip@").append(pos).append('.').append(bit);
            }
            case 1 -> {
                h[pos] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : 0x20 + r.nextInt(0x5F));
                log.append(" set@").append(pos);
            }
            case 2 -> {
                h[pos] = SPECIAL[r.nextInt(SPECIAL.length)];
                log.append(" special@").append(pos);
            }
            case 3 -> {
                int at = r.nextInt(len + 1);
                h = insert(h, at, new byte[] {SPECIAL[r.nextInt(SPECIAL.length)]});
                log.append(" insert@").append(at);
            }
            case 4 -> {
                String s = SNIPPETS[r.nextInt(SNIPPETS.length)];
                int brace = -1;
                for (int k = 0; k < len && brace < 0; k++) {
                    brace = h[k] == '{' ? k : -1;
                }
                int at = brace >= 0 && r.nextBoolean() ? brace + 1 : r.nextInt(len + 1);
                h = insert(h, at, s.getBytes(StandardCharsets.UTF_8));
                log.append(" snippet@").append(at).append(' ').append(quote(s));
            }
            case 5 -> {
                int k = Math.min(len - pos, 1 + r.nextInt(3));
                h = delete(h, pos, k);
                log.append(" delete@").append(pos).append('+').append(k);
            }
            case 6 -> {
                int k = Math.min(len - pos, 1 + r.nextInt(24));
                byte[] piece = Arrays.copyOfRange(h, pos, pos + k);
                int at = r.nextInt(len + 1);
                h = insert(h, at, piece);
                log.append(" copy@").append(pos).append('+').append(k).append("->").append(at);
            }
            case 7 -> {
                int k = Math.min(len - pos, 1 + r.nextInt(40));
                h = delete(h, pos, k);
                log.append(" cut@").append(pos).append('+').append(k);
            }
            case 8 -> {
                h[pos] = (byte) (h[pos] + (r.nextBoolean() ? 1 : -1));
                log.append(" bump@").append(pos);
            }
            case 9 -> {
                int other = r.nextInt(len);
                byte t = h[pos];
                h[pos] = h[other];
                h[other] = t;
                log.append(" swap@").append(pos).append(',').append(other);
            }
            case 10, 11 -> { // another number where one was (mostly reaching the offset and size rules)
                int at = pos;
                while (at < len && (h[at] < '0' || h[at] > '9')) {
                    at++;
                }
                if (at == len) {
                    return h;
                }
                int end = at;
                while (end < len && h[end] >= '0' && h[end] <= '9') {
                    end++;
                }
                long old = 0;
                for (int k = at; k < Math.min(end, at + 18); k++) {
                    old = old * 10 + h[k] - '0';
                }
                String num = switch (r.nextInt(7)) {
                    case 0 -> Long.toString(bigNumber(r));
                    case 1 -> OVERFLOWS[r.nextInt(OVERFLOWS.length)];
                    case 2 -> Integer.toString(r.nextInt(10));
                    case 3 -> "0".repeat(1 + r.nextInt(9)) + old;
                    default -> Long.toString(Math.max(0, old + r.nextInt(9) - 4));
                };
                h = insert(delete(h, at, end - at), at, num.getBytes(StandardCharsets.US_ASCII));
                log.append(" number@").append(at).append('=').append(num);
            }
            default -> { // another dtype (same-size ones keep the file valid)
                String text = new String(h, StandardCharsets.ISO_8859_1);
                String from = DTYPE_NAMES.get(r.nextInt(DTYPE_NAMES.size()));
                int at = text.indexOf("\"" + from + "\"", pos);
                if (at < 0) {
                    at = text.indexOf("\"" + from + "\"");
                }
                if (at < 0) {
                    return h;
                }
                String to = r.nextInt(8) == 0 ? BAD_DTYPES[r.nextInt(BAD_DTYPES.length)]
                        : DTYPE_NAMES.get(r.nextInt(DTYPE_NAMES.size()));
                h = insert(delete(h, at + 1, from.length()), at + 1, to.getBytes(StandardCharsets.UTF_8));
                log.append(" dtype@").append(at).append(' ').append(from).append("->").append(quote(to));
            }
        }
        return h;
    }

    static Case mutant(RandomGenerator r) {
        byte[] image = r.nextInt(6) == 0 ? MutationProperties.SEEDS.get(r.nextInt(MutationProperties.SEEDS.size()))
                : generate(r, Fault.NONE).image();
        int n = (int) ByteBuffer.wrap(image, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] h = Arrays.copyOfRange(image, 8, 8 + n);
        byte[] data = Arrays.copyOfRange(image, 8 + n, image.length);
        StringBuilder log = new StringBuilder("mutant:");
        for (int k = 1 + r.nextInt(r.nextInt(4) == 0 ? 8 : 3); k > 0; k--) {
            h = mutate(r, h, log);
        }
        long newN = switch (r.nextInt(10)) {
            case 0 -> n; // the boundary between header and data moves
            case 1 -> Math.max(0, h.length + r.nextInt(7) - 3);
            default -> h.length;
        };
        return new Case(log.toString(), TestFiles.image(newN, h, data), Fault.NONE, null, null, null);
    }

    // =====================================================================================================
    // Properties
    // =====================================================================================================

    static final Fault[] FAULTS = Arrays.stream(Fault.values()).filter(f -> f != Fault.NONE).toArray(Fault[]::new);

    @Test
    void validHeadersGiveTheReferenceResult(Seeded seeded) {
        seeded.tries(1500, g -> validHeaderGivesTheReferenceResult(generate(g, Fault.NONE)));
    }

    private static void validHeaderGivesTheReferenceResult(Case c) {
        // the reference itself accepts what the generator built, with the generator's entries
        Outcome ref = reference(c.image());
        assertThat(ref).as("reference on %s", c).isInstanceOf(Accepted.class);
        Accepted a = (Accepted) ref;
        assertThat(a.entries().stream().map(RefEntry::describe).toList()).as("reference on %s", c)
                .isEqualTo(c.model().stream().map(RefEntry::describe).toList());
        assertThat(a.metadata()).as("reference on %s", c).isEqualTo(c.metadata());
        assertAgrees(c.image(), c);
    }

    @Test
    void faultyHeadersAreRejectedLikeTheReference(Seeded seeded) {
        seeded.tries(1500, g -> seeded.tally("outcome",
                faultyHeaderIsRejectedLikeTheReference(generate(g, FAULTS[g.nextInt(FAULTS.length)]))));
    }

    /** Checks one faulty case; returns the outcome for the tally. */
    private static Object faultyHeaderIsRejectedLikeTheReference(Case c) {
        Outcome ref = reference(c.image());
        if (c.expected() != null) {
            // a syntax error leaves the reference unsure what the parser met first; else it knows the reason
            boolean syntax = c.fault() == Fault.TEXT || c.fault() == Fault.BAD_STRING || c.fault() == Fault.LEADING_ZERO;
            assertThat(ref).as("reference on %s", c).isInstanceOfSatisfying(Rejected.class, rj -> {
                if (syntax) {
                    assertThat(rj.reasons()).as("reference on %s", c).contains(Reason.INVALID_JSON);
                } else {
                    assertThat(rj.reasons()).as("reference on %s", c).containsExactly(c.expected());
                }
            });
        }
        Agreement agreement = assertAgrees(c.image(), c);
        if (c.expected() != null) {
            // one fault, so one reason
            assertThat(agreement.ours()).as("parser on %s", c).isEqualTo(c.expected());
        }
        Outcome o = agreement.reference();
        return o instanceof Rejected rj && rj.reasons().size() == 1
                ? rj.reasons().iterator().next() : o instanceof Accepted ? "accepted" : "rejected, reason open";
    }

    /** Every fault in every run, whatever the seed: 8 cases of each, from a fixed seed. */
    @Test
    void everyFaultIsRejectedLikeTheReference() {
        Random r = new Random(20250102);
        for (Fault f : FAULTS) {
            for (int i = 0; i < 8; i++) {
                Case c = generate(r, f);
                Seeded.example(f + " #" + i, () -> faultyHeaderIsRejectedLikeTheReference(c));
            }
        }
    }

    @Test
    void mutatedHeadersGiveTheReferenceResult(Seeded seeded) {
        seeded.tries(5000, g -> {
            Case c = mutant(g);
            Outcome o = assertAgrees(c.image(), c).reference();
            seeded.tally("outcome", o instanceof Accepted ? "accepted"
                    : ((Rejected) o).reasons().size() == 1 ? ((Rejected) o).reasons().iterator().next().toString()
                    : "rejected, reason open");
        });
    }

    @Test
    void referenceDtypesAreTheSafetensorsDtypes() {
        assertThat(Arrays.stream(DType.values()).filter(DType::isSafetensors).map(DType::headerName))
                .containsExactlyInAnyOrderElementsOf(BITS.keySet());
    }

    @Test
    void fixturesGiveTheReferenceResult() throws IOException {
        try (Stream<Path> files = Files.walk(TestFiles.fixtures())) {
            List<Path> all = files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
            assertThat(all).hasSizeGreaterThan(20);
            for (Path p : all) {
                assertThat(assertAgrees(Files.readAllBytes(p), p).reference()).as(p.toString())
                        .isInstanceOf(Accepted.class);
            }
        }
    }

    /** Headers beyond the parser's 4 MiB scratch buffer, with many entries and long names. */
    @Test
    void largeHeadersGiveTheReferenceResult() {
        Random r = new Random(20250101);
        Case c = generate(r, Fault.NONE, 45_000);
        byte[] image = c.image();
        int n = (int) ByteBuffer.wrap(image, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n).isGreaterThan(4 << 20);
        assertThat(assertAgrees(image, "large header of " + n + " bytes").reference()).isInstanceOf(Accepted.class);
        // the same with a duplicate of the first name at the end (found in a grown name index)
        String header = new String(image, 8, n, StandardCharsets.UTF_8).stripTrailing();
        Renderer w = new Renderer(r, 0, 0.5);
        w.value(new Esc(c.model().getFirst().name()));
        byte[] dup = (header.substring(0, header.length() - 1) + "," + w.out
                + ":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}").getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(image, 8 + n, image.length);
        assertThat(assertAgrees(TestFiles.image(dup.length, dup, data), "large header with a duplicate name").ours())
                .isEqualTo(Reason.DUPLICATE_KEY);
    }

    /** Hand-picked inputs: the escaped duplicate from the brief, hash collisions, long shapes. */
    @Test
    void handPickedHeaders() {
        String t = "{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}";
        expect("{\"ab\":" + t + ",\"a\\u0062\":" + t + "}", Reason.DUPLICATE_KEY);
        expect("{\"a\\u0062\":" + t + ",\"ab\":" + t + "}", Reason.DUPLICATE_KEY);
        expect("{\"Aa\":" + t + ",\"BB\":" + t + ",\"C#\":" + t + "}", null);
        expect("{\"__metadata__\":{\"k\":\"v\",\"\\u006b\":\"w\"}}", Reason.DUPLICATE_KEY);
        expect("{\"__metadata__\":null,\"__metadata\\u005f_\":{}}", Reason.DUPLICATE_KEY);
        expect("{\"a\":{\"dtype\":\"F8_E4M3FNUZ\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0],"
                + "\"data_offsets\":[0,0]}}", null);
        expect("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,9223372036854775807,9223372036854775807],"
                + "\"data_offsets\":[0,0]}}", null);
        expect("{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,2,0],\"data_offsets\":[0,0]}}",
                Reason.OVERFLOW);
        expect("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],\"x\":{\"a\":1,\"a\":2}}}", null);
        expect("{\"a\":{\"dtype\":\"f32\",\"shape\":[0],\"data_offsets\":[0,0]}}", Reason.UNKNOWN_DTYPE);
        expect("{\"a\":{\"dtype\":\"F\\u00332\",\"shape\":[0],\"data_offsets\":[0,0]}}", null);
        // UTF-8 edges in a name, a metadata value, an ignored field and outside strings
        int[][] invalid = {{0xC0, 0x80}, {0xED, 0xA0, 0x80}, {0xF4, 0x90, 0x80, 0x80}, {0xE0, 0x80, 0x80},
            {0xF0, 0x80, 0x80, 0x80}, {0xE4, 0xB8}, {0x80}, {0xFF}, {0xF8, 0x88, 0x80, 0x80, 0x80}};
        int[][] valid = {{0xEF, 0xBF, 0xBF}, {0xF4, 0x8F, 0xBF, 0xBF}, {0xED, 0x9F, 0xBF}, {0xC2, 0x80},
            {0xF0, 0x90, 0x80, 0x80}};
        String[][] places = {{"{\"n", "\":" + t + "}"}, {"{\"__metadata__\":{\"k\":\"", "\"}}"},
            {"{\"a\":{\"x\":\"", "\",\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}"}, {"{", "}"}};
        for (String[] place : places) {
            boolean inString = !place[0].equals("{");
            for (int[] seq : invalid) {
                expect(place[0], seq, place[1], Reason.INVALID_UTF8);
            }
            for (int[] seq : valid) {
                expect(place[0], seq, place[1], inString ? null : Reason.INVALID_JSON);
            }
        }
    }

    private static void expect(String before, int[] bytes, String after, Reason reason) {
        byte[] b = before.getBytes(StandardCharsets.UTF_8);
        byte[] a = after.getBytes(StandardCharsets.UTF_8);
        byte[] h = Arrays.copyOf(b, b.length + bytes.length + a.length);
        for (int k = 0; k < bytes.length; k++) {
            h[b.length + k] = (byte) bytes[k];
        }
        System.arraycopy(a, 0, h, b.length + bytes.length, a.length);
        byte[] image = TestFiles.image(h.length, h, new byte[0]);
        Agreement agreement = assertAgrees(image, describeImage(image));
        assertThat(agreement.ours()).as(describeImage(image)).isEqualTo(reason);
    }

    private static void expect(String header, Reason reason) {
        Agreement a = assertAgrees(TestFiles.image(header, new byte[0]), header);
        if (reason == null) {
            assertThat(a.reference()).as(header).isInstanceOf(Accepted.class);
        } else {
            assertThat(a.reference()).as(header).isInstanceOfSatisfying(Rejected.class,
                    rj -> assertThat(rj.reasons()).containsExactly(reason));
            assertThat(a.ours()).as(header).isEqualTo(reason);
        }
    }

    // =====================================================================================================
    // Bugs found (outside HeaderParser), fixed
    // =====================================================================================================

    /**
     * A zero-size tensor whose other dimensions multiply beyond Long.MAX_VALUE is valid (numel 0, formats.md A.4,
     * checked left to right), and parse accepts it; tensor(name) used to fail in Tensor.contiguousStrides, which
     * multiplied every dimension (zeros as ones) with Math.multiplyExact.
     */
    @Test
    void tensorOfAZeroSizeTensorWithHugeDimensions() {
        SafetensorsFile f = TestFiles.parse(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}", 0);
        assertThat(f.info("a").length()).isZero();
        assertThat(f.tensor("a").numel()).isZero();
        assertThat(f.tensor("a").data().byteSize()).isZero();
        assertThat(f.tensor("a").contiguous(java.lang.foreign.Arena.ofAuto()).numel()).isZero();
        assertThat(f.slice("a", SliceIndex.parse("0:0, 1:3, ::2")).numel()).isZero();
        assertThat(f.tensors().get("a").shape()).containsExactly(0, 4294967296L, 4294967296L);
    }
}
