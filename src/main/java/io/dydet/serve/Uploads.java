package io.dydet.serve;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a request's images: a raw image body or the file parts of a multipart form, within the size limits. */
final class Uploads {
    /** An image of a request: its bytes and the name it is reported under. */
    record Upload(String name, byte[] bytes) {}

    /** Most parts a multipart body may have (set as Jetty's form-key limit, so refusals name the number enforced). */
    static final int MAX_PARTS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);

    private Uploads() {}

    static List<Upload> read(Context ctx, ServeSettings settings) throws IOException {
        long declared = ctx.contentLength();
        if (declared > settings.maxBodyBytes()) {
            // refused from the header; the body is still drained (up to 4x the limit) so the client is not reset while
            // sending and the connection stays usable; beyond that it is cut with Connection: close
            if (declared > 4 * settings.maxBodyBytes()
                    || discard(ctx.bodyInputStream(), 4 * settings.maxBodyBytes()) < 0)
                ctx.header("Connection", "close");
            throw tooLarge(declared + " bytes", settings);
        }
        try {
            return readOrRefuse(ctx, settings);
        } catch (ServeException e) {
            // answer only after the body is read, so the client is not reset while still sending (a body longer
            // than it said, beyond 4x the limit, is cut with Connection: close)
            long rest = discard(ctx.bodyInputStream(), 4 * settings.maxBodyBytes());
            if (rest < 0) ctx.header("Connection", "close");
            throw e;
        }
    }

    /** Reads and drops what is left of a body, up to {@code max} bytes; -1 if more was left. */
    static long discard(InputStream in, long max) {
        byte[] buf = new byte[64 << 10];
        long total = 0;
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > max) return -1;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return total;
    }

    private static List<Upload> readOrRefuse(Context ctx, ServeSettings settings) throws IOException {
        if (ctx.isMultipart()) return multipart(ctx, settings);
        String type = ctx.contentType() == null
                ? ""
                : ctx.contentType().split(";")[0].trim().toLowerCase(Locale.ROOT);
        if (!type.isEmpty() && !type.startsWith("image/") && !type.equals("application/octet-stream")) {
            throw new ServeException(
                    415,
                    "unsupported_media_type",
                    "Content-Type " + type + " is not an image; send the image as the body "
                            + "(image/jpeg, image/png, ... or application/octet-stream) or as file parts of multipart/form-data");
        }
        byte[] body = readCapped(ctx.bodyInputStream(), settings);
        if (body.length == 0) throw new ServeException(400, "empty_body", "the request has no body; send an image");
        return List.of(new Upload("body", body));
    }

    private static List<Upload> multipart(Context ctx, ServeSettings settings) throws IOException {
        if (!ctx.contentType().toLowerCase(Locale.ROOT).contains("boundary="))
            throw malformed(ctx, "Content-Type multipart/form-data has no boundary parameter", null);
        List<UploadedFile> files;
        try {
            files = ctx.uploadedFiles();
        } catch (Exception e) { // Jetty's ServletException arrives undeclared through Kotlin
            throw multipartRefusal(ctx, e, settings);
        }
        if (files.isEmpty())
            throw new ServeException(400, "no_images", "the multipart form has no file parts; send images as files");
        if (files.size() > settings.maxImagesPerRequest())
            throw new ServeException(
                    413,
                    "too_many_images",
                    files.size() + " images in one request; at most " + settings.maxImagesPerRequest());
        List<Upload> out = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            UploadedFile f = files.get(i);
            String name = f.filename() == null || f.filename().isBlank() ? "part" + i : f.filename();
            try (InputStream in = f.content()) {
                out.add(new Upload(name, readCapped(in, settings)));
            }
        }
        return out;
    }

    /** Jetty's parse failure, a chain of wrappers around the cause, as a refusal that names the cause. */
    private static ServeException multipartRefusal(Context ctx, Exception e, ServeSettings settings) {
        // Jetty closes a connection whose body failed to parse: say so, or the client may send its next request into it
        ctx.header("Connection", "close");
        Throwable root = e;
        boolean eof = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            root = t;
            eof |= t instanceof EOFException;
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("too many keys") || m.contains("too many form keys")) {
                LOG.warn(
                        "{} {} from {}: refused a multipart body of more than {} parts",
                        ctx.method(),
                        ctx.path(),
                        ctx.ip(),
                        MAX_PARTS);
                return new ServeException(
                        413,
                        "too_many_parts",
                        "the multipart body has more than " + MAX_PARTS + " parts; at most " + MAX_PARTS);
            }
            if (m.contains("exceeded")) {
                LOG.warn(
                        "{} {} from {}: refused a multipart body over the size limit",
                        ctx.method(),
                        ctx.path(),
                        ctx.ip());
                return tooLarge("a part", settings);
            }
        }
        if (eof) return malformed(ctx, "the multipart body ends before its closing boundary", null);
        return malformed(ctx, "malformed multipart body", root.getMessage());
    }

    /** A 400 for a multipart body that cannot be parsed; logged in one line, without a stack trace, as it is the client's fault. */
    private static ServeException malformed(Context ctx, String message, String cause) {
        String full = cause == null ? message : message + ": " + cause;
        LOG.warn("{} {} from {}: refused: {}", ctx.method(), ctx.path(), ctx.ip(), full);
        return new ServeException(400, "bad_multipart", full);
    }

    private static byte[] readCapped(InputStream in, ServeSettings settings) throws IOException {
        byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBodyBytes() + 1));
        if (b.length > settings.maxBodyBytes())
            throw tooLarge("more than " + settings.maxBodyBytes() + " bytes", settings);
        return b;
    }

    private static ServeException tooLarge(String what, ServeSettings settings) {
        return new ServeException(
                413,
                "body_too_large",
                "request body of " + what + " exceeds the limit of " + settings.maxBodyBytes() + " bytes");
    }
}
