package io.dydet.data;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.videoio.VideoCapture;
import org.opencv.videoio.VideoWriter;
import org.opencv.videoio.Videoio;

/**
 * Video files through OpenCV's built-in Motion-JPEG backend, the only video backend of the bundled OpenCV build
 * (it has no FFmpeg): AVI files with MJPEG frames are read and written; other codecs get an error that says how to
 * convert them.
 */
public final class Videos {
    /** Extensions treated as video sources. */
    public static final Set<String> VIDEO_EXTENSIONS = Set.of("avi", "mp4", "mov", "mkv", "mpeg", "mpg", "m4v", "wmv");

    private Videos() {}

    public static boolean isVideoName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot >= 0 && VIDEO_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** Opens a video for reading frame by frame (8-bit BGR frames). */
    public static VideoCapture open(Path file) throws ImageException {
        Images.loadOpenCv();
        VideoCapture c = new VideoCapture(file.toString(), Videoio.CAP_OPENCV_MJPEG);
        if (!c.isOpened()) {
            c.release();
            throw new ImageException(
                    file + ": cannot read this video; dydet's OpenCV build reads Motion-JPEG AVI files only. "
                            + "Convert it, e.g. ffmpeg -i in.mp4 -c:v mjpeg -q:v 2 out.avi");
        }
        return c;
    }

    /** Frames per second of an open video (25 when the file does not say). */
    public static double fps(VideoCapture c) {
        double f = c.get(Videoio.CAP_PROP_FPS);
        return f > 0 ? f : 25;
    }

    /** A Motion-JPEG AVI writer. */
    public static VideoWriter writer(Path file, double fps, int width, int height) throws ImageException {
        Images.loadOpenCv();
        VideoWriter w = new VideoWriter(
                file.toString(),
                Videoio.CAP_OPENCV_MJPEG,
                VideoWriter.fourcc('M', 'J', 'P', 'G'),
                fps,
                new Size(width, height));
        if (!w.isOpened()) {
            w.release();
            throw new ImageException(file + ": cannot open a Motion-JPEG AVI writer");
        }
        return w;
    }

    /** Reads the next frame into a new Mat, or returns null at the end. */
    public static Mat next(VideoCapture c) {
        Mat m = new Mat();
        if (!c.read(m) || m.empty()) {
            m.release();
            return null;
        }
        return m;
    }
}
