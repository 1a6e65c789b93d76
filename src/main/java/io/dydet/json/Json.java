package io.dydet.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The project's Jackson mappers, configured once here: building a mapper is costly, and one configuration keeps
 * every file and every printed result in the same form. Do not reconfigure them; derive with {@code copy()} when a
 * caller needs something else.
 */
public final class Json {
    /** JSON with Jackson's defaults: compact output, unknown properties rejected. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** JSON indented for people: the files of a run folder and {@code --json} output. */
    public static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** YAML: the original's cfg, data and hyper-parameter files. */
    public static final YAMLMapper YAML = new YAMLMapper();

    private Json() {}
}
