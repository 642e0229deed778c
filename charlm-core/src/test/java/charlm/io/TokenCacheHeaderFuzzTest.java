package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.TokenCache;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the token cache's header reader (Jazzer) over whole cache files in memory: any bytes read
 * as a header return one that fits the file, or end in one clear line (the property of
 * {@link FuzzProperty}); a header is never trusted past its checks. mvn verify replays the inputs in
 * TokenCacheHeaderFuzzTestInputs/ (written by make-token-cache-seeds.py, independently of the Java
 * writer) and then fuzzes for {@link FuzzProperty#VERIFY_EXECUTIONS} executions.
 */
class TokenCacheHeaderFuzzTest {
    @FuzzTest(maxExecutions = FuzzProperty.VERIFY_EXECUTIONS)
    void readHeader(byte[] input) {
        FuzzProperty.holds(input, () -> {
            TokenCache.Header h = TokenCache.Header.read(ByteBuffer.wrap(input), input.length);
            // what a header that reads says must fit the bytes it came from
            long tokenBytes = h.tokens() * h.width();
            if (h.tokens() < 1 || tokenBytes >= input.length || h.vocab().size() < 2 || h.vocab().size() > (h.width() == 1 ? 256 : 65536)) {
                throw new AssertionError("a header that does not fit its " + input.length + " bytes was read: " + h);
            }
        });
    }

    @Test
    void theSeedsWrittenFromTheLayoutAloneReadBack() throws IOException {
        Path dir = Path.of("src/test/resources/charlm/io/TokenCacheHeaderFuzzTestInputs");
        for (String ok : new String[] {"ok-letters", "ok-uint16", "ok-max-vocab", "ok-smallest"}) {
            byte[] b = Files.readAllBytes(dir.resolve(ok));
            TokenCache.Header h = TokenCache.Header.read(ByteBuffer.wrap(b), b.length);
            assertThat(h.vocab().get(0)).as(ok).isEqualTo("<unk>");
            assertThat(h.key().textSize()).as(ok).isEqualTo(123456);
        }
        byte[] letters = Files.readAllBytes(dir.resolve("ok-letters"));
        TokenCache.Header h = TokenCache.Header.read(ByteBuffer.wrap(letters), letters.length);
        assertThat(String.join("", h.vocab().subList(1, h.vocab().size()))).isEqualTo(" etaoinshrdlucmfwypvbgkjqxz");
        assertThat(h.tokens()).isEqualTo("the time machine by h g wells".length());
        assertThat(h.width()).isEqualTo(1);
    }
}
