// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.weightmap.dduf.DdufTestSupport.expected;
import static dev.weightmap.dduf.DdufTestSupport.fixtures;
import static dev.weightmap.dduf.DdufTestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

/** Every hub-made archive reads with the offsets, lengths, CRC-32 and SHA-256 its expected.json records. */
class DdufFixturesTest {
    @ParameterizedTest
    @CsvSource({"dduf,pipeline-folder.dduf", "dduf,pipeline-entries.dduf", "dduf,index-only.dduf",
            "dduf2,pipeline-folder.dduf", "dduf2,pipeline-entries.dduf"})
    @SuppressWarnings("unchecked")
    void hubArchiveMatchesExpected(String area, String file) throws Exception {
        Map<String, Object> exp = null;
        for (Object o : (List<Object>) expected(area).get("files")) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.get("file").equals(file)) {
                exp = m;
            }
        }
        assertThat(exp).isNotNull();
        Path p = fixtures(area).resolve(file);
        try (DdufFile dduf = DdufFile.open(p)) {
            assertThat(dduf.segment().byteSize()).isEqualTo((Long) exp.get("size"));
            List<Object> entries = (List<Object>) exp.get("entries");
            assertThat(dduf.entries().keySet()).containsExactlyElementsOf(
                    entries.stream().map(e -> (String) ((Map<String, Object>) e).get("name")).toList());
            for (Object o : entries) {
                Map<String, Object> e = (Map<String, Object>) o;
                DdufEntry de = dduf.entries().get((String) e.get("name"));
                assertThat(de.offset()).as(de.name()).isEqualTo((Long) e.get("data_offset"));
                assertThat(de.length()).isEqualTo((Long) e.get("length"));
                assertThat(DdufFile.hex8(de.crc32())).isEqualTo(e.get("crc32"));
                assertThat(sha256(de.segment())).isEqualTo(e.get("sha256"));
                assertThat(DdufFile.hex8(de.computeCrc32())).isEqualTo(e.get("crc32"));
            }
            for (Object o : (List<Object>) exp.get("tensors")) {
                Map<String, Object> t = (Map<String, Object>) o;
                SafetensorsFile st = dduf.entries().get((String) t.get("entry")).openSafetensors();
                String name = (String) t.get("name");
                Tensor tensor = st.tensor(name);
                assertThat(tensor.dtype().headerName()).isEqualTo(t.get("dtype"));
                assertThat(tensor.byteLength()).isEqualTo((Long) t.get("nbytes"));
                // zero-copy: the tensor's bytes are the archive's bytes at archive_offset
                long absolute = tensor.data().address() - dduf.segment().address();
                assertThat(absolute).as(name).isEqualTo((Long) t.get("archive_offset"));
                assertThat(sha256(tensor.data())).isEqualTo(t.get("sha256"));
            }
            assertThat(dduf.verify().bytes()).isPositive();
            assertThat(dduf.modelIndex()).isNotEmpty();
        }
    }
}
