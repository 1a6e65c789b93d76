package io.dydet.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.InputStream;

/** Typed reading of JSON values with errors that name the file and the JSON path. */
final class JsonIn {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .build())
            .build();
    final JsonParser p;
    final String source;

    private JsonIn(JsonParser p, String source) {
        this.p = p;
        this.source = source;
    }

    static JsonIn open(InputStream in, String source) throws IOException {
        JsonParser p = FACTORY.createParser(in);
        p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
        return new JsonIn(p, source);
    }

    static CocoFormatException invalid(String source, JsonProcessingException e) {
        var loc = e.getLocation();
        String at = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        return new CocoFormatException(source + ": invalid JSON" + at + ": " + e.getOriginalMessage(), e);
    }

    CocoFormatException error(String where, String msg) {
        return new CocoFormatException(source + ": " + where + ": " + msg);
    }

    static String describe(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) return "end of input";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string (\"" + abbreviate(p.getText()) + "\")";
            case VALUE_NUMBER_INT -> "an integer (" + p.getText() + ")";
            case VALUE_NUMBER_FLOAT -> "a number (" + p.getText() + ")";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean (" + p.getText() + ")";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    void expectArray(String where, JsonToken t) throws IOException {
        if (t != JsonToken.START_ARRAY) throw error(where, "expected an array, got " + describe(p));
    }

    void expectObject(String where, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) throw error(where, "expected an object, got " + describe(p));
    }

    long readLong(String where) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw error(where, "expected an integer, got " + describe(p));
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw error(where, "integer out of range: " + p.getText());
        }
        return p.getLongValue();
    }

    int readInt(String where) throws IOException {
        long v = readLong(where);
        if (v != (int) v) throw error(where, "integer out of range: " + v);
        return (int) v;
    }

    double readNumber(String where) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw error(where, "expected a number, got " + describe(p));
        }
        double v = p.getDoubleValue();
        if (!Double.isFinite(v)) throw error(where, "expected a finite number, got " + p.getText());
        return v;
    }

    boolean readFlag(String where) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_TRUE) return true;
        if (t == JsonToken.VALUE_FALSE) return false;
        if (t == JsonToken.VALUE_NUMBER_INT) return p.getLongValue() != 0;
        throw error(where, "expected 0, 1 or a boolean, got " + describe(p));
    }

    void readBox(String where, double[] box) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(where, "expected an array of 4 numbers [x, y, w, h], got " + describe(p));
        }
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (n == 4) throw error(where, "expected an array of 4 numbers [x, y, w, h], got more than 4 values");
            box[n] = readNumber(where + "[" + n + "]");
            n++;
        }
        if (n != 4) throw error(where, "expected an array of 4 numbers [x, y, w, h], got " + n + " values");
    }
}
