package io.dydet.engine;

import ai.djl.Device;
import java.util.Locale;

/** Parses the device names users type ("cpu", "cuda", "cuda:1", "gpu:0") into DJL devices. */
public final class Devices {
    private Devices() {}

    public static Device parse(String name) {
        if (name == null || name.isBlank()) return Device.cpu();
        String s = name.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) return Device.cpu();
        String[] parts = s.split(":", 2);
        if (parts[0].equals("cuda") || parts[0].equals("gpu")) {
            int id = 0;
            if (parts.length == 2) {
                try {
                    id = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("device '" + name + "': expected cpu, cuda or cuda:N");
                }
            }
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("device '" + name + "': expected cpu, cuda or cuda:N");
    }
}
