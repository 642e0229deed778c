package charlm.spark;

import charlm.CharlmException;
import charlm.sweep.SweepFolder;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * Opens sweep folders of any scheme Hadoop has a file system for (hdfs, s3a, gs, abfs, ...), for
 * {@link SweepFolder#of}: registered with ServiceLoader. The Hadoop configuration is the one Spark's
 * driver would have: core-site.xml and friends from the class path (HADOOP_CONF_DIR under
 * spark-submit), then every spark.hadoop.* system property (spark-submit --conf) without that prefix.
 */
public final class HadoopFolders implements SweepFolder.Provider {

    @Override
    public Optional<SweepFolder> open(URI uri) {
        if (!hadoopPresent()) return Optional.empty();
        Configuration conf = configuration();
        try {
            return Optional.of(new HadoopSweepFolder(uri, conf));
        } catch (IOException | RuntimeException e) {
            throw new CharlmException("cannot reach --out " + uri + " (" + HadoopSweepFolder.readable(e) + "); check the URI, and that the cluster's Hadoop configuration "
                    + "and the file system's connector are on the class path", e);
        }
    }

    /** A configuration as a Spark driver makes one, without starting Spark. */
    static Configuration configuration() {
        Configuration conf = new Configuration();
        for (Map.Entry<Object, Object> e : System.getProperties().entrySet()) {
            String key = e.getKey().toString();
            if (key.startsWith("spark.hadoop.")) conf.set(key.substring("spark.hadoop.".length()), e.getValue().toString());
        }
        return conf;
    }

    private static boolean hadoopPresent() {
        try {
            Class.forName("org.apache.hadoop.fs.FileSystem", false, HadoopFolders.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
