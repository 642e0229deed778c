package charlm.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Properties;

/** The PyTorch reference's fixtures (src/test/resources/reference, made by make-fixtures.sh). */
public final class Fixtures {
    private static Properties expected;

    private Fixtures() {
    }

    public static synchronized String expected(String key) {
        if (expected == null) {
            Properties p = new Properties();
            try (InputStream in = Fixtures.class.getResourceAsStream("/reference/expected.properties")) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            expected = p;
        }
        String v = expected.getProperty(key);
        if (v == null) throw new IllegalArgumentException("no fixture value " + key);
        return v;
    }

    public static double number(String key) {
        return Double.parseDouble(expected(key));
    }

    public static Path file(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/reference/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
