package io.dydet.spark;

import io.dydet.files.AtomicFile;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * The model file, shipped to the executors as a broadcast with the job. Spark 4 isolates Dataset jobs' artifacts by
 * default (spark.sql.artifact.isolation.enabled), so a file added with SparkContext.addFile does not reach them; a
 * broadcast does, on any cluster manager. An executor that can read the driver's path (one host, shared storage)
 * never fetches the bytes; the others write them once per JVM into a local folder named by their SHA-256.
 */
final class ModelShipment implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String fileName;
    private final String sha256;
    private final long size;
    private final Broadcast<byte[]> bytes;

    private ModelShipment(String fileName, String sha256, long size, Broadcast<byte[]> bytes) {
        this.fileName = fileName;
        this.sha256 = sha256;
        this.size = size;
        this.bytes = bytes;
    }

    /** Reads the model on the driver and broadcasts it. */
    static ModelShipment of(SparkSession spark, Path model) {
        if (!Files.isRegularFile(model))
            throw new IllegalArgumentException(
                    "model file " + model + " is not readable on the driver, which ships it" + " to the executors");
        try {
            byte[] content = Files.readAllBytes(model);
            String sha = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            Broadcast<byte[]> b =
                    JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(content);
            return new ModelShipment(model.getFileName().toString(), sha, content.length, b);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model file " + model + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The model on this executor: {@code driverPath} when readable here (and of the shipped size), else the shipped
     * bytes written to {@code folder}/sha256/file-name (kept for later tasks and jobs of this JVM's machine).
     */
    Path materialize(Path driverPath, Path folder) {
        try {
            if (Files.isRegularFile(driverPath) && Files.size(driverPath) == size) return driverPath;
            Path local = folder.resolve(sha256).resolve(fileName);
            synchronized (ModelShipment.class) {
                if (!Files.isRegularFile(local) || Files.size(local) != size) {
                    Files.createDirectories(local.getParent());
                    AtomicFile.write(local, bytes.value());
                }
            }
            return local;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write the shipped model " + fileName + " under " + folder + ": " + e.getMessage(), e);
        }
    }

    String fileName() {
        return fileName;
    }
}
