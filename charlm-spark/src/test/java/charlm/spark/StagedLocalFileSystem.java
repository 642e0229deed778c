package charlm.spark;

import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local disk under a scheme of its own, testfs:///path: to Hadoop another file system, so that a
 * sweep folder there goes the way an hdfs:// one goes (staged trials, temporary names, renames).
 * FileContext has no binding for it, so renames take FileSystem.rename.
 */
public final class StagedLocalFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "testfs";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }
}
