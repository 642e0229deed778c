package charlm.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where the elements of a float[] fall against the 64-byte lines of the cache. A product that streams a
 * panel of B with 64-byte vector loads runs about 30% faster when the panel starts on a line (measured:
 * the step product at H = 1024 alone, one thread, 137-159 GFLOP/s aligned against 106-125 at the seven
 * other offsets), because an unaligned 64-byte load touches two lines. Java does not place arrays on
 * lines, but a JVM started with {@code -XX:ObjectAlignmentInBytes=64} (the launcher's) puts every object
 * on one, so every float[]'s first element sits the same known distance past a line: skipping {@link #PAD}
 * floats then lands on it. Under any other JVM settings PAD is 0 and nothing changes but the speed.
 */
public final class Alignment {
    /** Floats to skip at the start of an array so that the next one starts a 64-byte line; 0 when that is not known. */
    public static final int PAD = pad();

    private Alignment() {
    }

    /** A HotSpot option's value as this JVM runs with it, or null where there is no such option or no HotSpot. */
    static String vmOption(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static int pad() {
        String objects = vmOption("ObjectAlignmentInBytes");
        if (objects == null) return 0;
        try {
            if (Integer.parseInt(objects) % 64 != 0) return 0;
            // Read by reflection: the constant is all that is used of sun.misc.Unsafe, no memory access.
            int base = Class.forName("sun.misc.Unsafe").getField("ARRAY_FLOAT_BASE_OFFSET").getInt(null);
            return (64 - base % 64) % 64 / Float.BYTES;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return 0; // not HotSpot, or a JVM without these: unknown, so no padding
        }
    }
}
