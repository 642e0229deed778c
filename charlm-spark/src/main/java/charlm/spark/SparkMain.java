package charlm.spark;

import charlm.cli.Main;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * charlm's command line for spark-submit: {@code spark-submit --class charlm.spark.SparkMain
 * charlm-spark.jar sweep ...} runs the sweep on the master spark-submit was given, as if
 * {@code --spark MASTER} had been added; every other command runs as it does anywhere.
 */
public final class SparkMain {
    private SparkMain() {
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int code = Main.run(withSubmittedMaster(args, System.getProperty("spark.master")), new PrintWriter(System.out, true),
                new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** sweep with --spark MASTER added, when spark-submit set a master and the command names no way of its own to run. */
    static String[] withSubmittedMaster(String[] args, String master) {
        if (master == null || args.length == 0 || !args[0].equals("sweep")) return args;
        for (String a : args) {
            for (String own : List.of("--spark", "--list-trials", "--trial-index", "--collect", "--help", "-h", "--version", "-V")) {
                if (a.equals(own) || a.startsWith(own + "=")) return args;
            }
        }
        List<String> out = new ArrayList<>(Arrays.asList(args));
        out.add(1, master);
        out.add(1, "--spark");
        return out.toArray(String[]::new);
    }
}
