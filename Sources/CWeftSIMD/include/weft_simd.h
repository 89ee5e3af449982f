// Weft's vector kernels: the few byte scans of the hot path that the standard library cannot vectorize.
//
// Everything here is `static inline`, so Swift inlines it at the call site. SSE2 (every x86-64) does 16 bytes a
// step; other targets fall back to a byte loop with the same results.
#ifndef WEFT_SIMD_H
#define WEFT_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Whether `byte` cannot appear raw inside a JSON string as Weft writes it: `"`, `\`, a control byte below 0x20,
/// DEL (0x7F), or a byte of a multibyte UTF-8 sequence (0x80 and above, which the caller validates).
static inline int weft_json_needs_work(uint8_t byte) {
    return byte < 0x20 || byte == 0x22 || byte == 0x5C || byte >= 0x7F;
}

/// Writes the JSON escape of `byte` (ASCII: `"`, `\`, below 0x20, or DEL) at `destination`; returns its length.
/// `destination` must have room for 6 bytes.
static inline size_t weft_json_write_escape(uint8_t byte, uint8_t *destination) {
    uint8_t shortForm;
    switch (byte) {
    case 0x22: shortForm = 0x22; break;
    case 0x5C: shortForm = 0x5C; break;
    case 0x0A: shortForm = 'n'; break;
    case 0x0D: shortForm = 'r'; break;
    case 0x09: shortForm = 't'; break;
    case 0x08: shortForm = 'b'; break;
    case 0x0C: shortForm = 'f'; break;
    default: {
        static const char hex[16] = "0123456789abcdef";
        destination[0] = '\\';
        destination[1] = 'u';
        destination[2] = '0';
        destination[3] = '0';
        destination[4] = (uint8_t)hex[byte >> 4];
        destination[5] = (uint8_t)hex[byte & 0x0F];
        return 6;
    }
    }
    destination[0] = '\\';
    destination[1] = shortForm;
    return 2;
}

/// Escapes `source` for the inside of a JSON string into `destination`, up to the first byte of 0x80 or above (which
/// the caller validates as UTF-8) or all `count` bytes. Returns how many source bytes were consumed; `*written` is
/// set to how many bytes were written.
///
/// `destination` must have room for `6 * count + 16` bytes: each byte may become a six-byte `\u00XX`, and whole
/// 16-byte vectors are stored before they are checked, so up to 15 bytes past the written ones may be overwritten
/// with bytes of no meaning.
static inline size_t weft_json_escape_ascii(const uint8_t *source, size_t count, uint8_t *destination,
                                            size_t *written) {
    size_t index = 0;
    uint8_t *out = destination;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8(0x22);
    const __m128i backslash = _mm_set1_epi8(0x5C);
    const __m128i lastControl = _mm_set1_epi8(0x1F);
    const __m128i del = _mm_set1_epi8(0x7F);
    for (;;) {
        size_t remaining = count - index;
        unsigned valid;
        if (remaining >= 16) {
            valid = 0xFFFF;
        } else if (remaining > 0 && ((uintptr_t)(source + index) & 4095) <= 4096 - 16) {
            // The last few bytes of the subject: a 16-byte load that stays inside the page cannot fault, so it is
            // done whole and the bytes past the end are masked out (strlen's trick; they are read, never used).
            valid = (1u << remaining) - 1;
        } else {
            break;
        }
        __m128i bytes = _mm_loadu_si128((const __m128i *)(source + index));
        _mm_storeu_si128((__m128i *)out, bytes);
        __m128i hits = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
            _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(bytes, lastControl), bytes),
                         _mm_cmpeq_epi8(_mm_max_epu8(bytes, del), bytes)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hits) & valid;
        if (mask == 0) {
            size_t step = remaining >= 16 ? 16 : remaining;
            index += step;
            out += step;
            continue;
        }
        size_t clean = (size_t)__builtin_ctz(mask);
        index += clean;
        out += clean;
        uint8_t byte = source[index];
        if (byte >= 0x80) {
            *written = (size_t)(out - destination);
            return index;
        }
        out += weft_json_write_escape(byte, out);
        index += 1;
    }
#endif
    while (index < count) {
        uint8_t byte = source[index];
        if (byte >= 0x80) break;
        if (weft_json_needs_work(byte)) {
            out += weft_json_write_escape(byte, out);
        } else {
            *out++ = byte;
        }
        index++;
    }
    *written = (size_t)(out - destination);
    return index;
}

/// The index of the first byte in `bytes[0..<count]` that ends a plain run inside a JSON string being read: `"`, `\`,
/// a control byte below 0x20, or (when `stopAtNonASCII`) a byte of 0x80 or above, which the caller validates as
/// UTF-8. `count` if there is none.
static inline size_t weft_json_string_span(const uint8_t *bytes, size_t count, int stopAtNonASCII) {
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8(0x22);
    const __m128i backslash = _mm_set1_epi8(0x5C);
    const __m128i lastControl = _mm_set1_epi8(0x1F);
    // Signed compare: bytes of 0x80 and above are negative.
    const __m128i nonASCII = stopAtNonASCII ? _mm_set1_epi8(-1) : _mm_setzero_si128();
    for (;;) {
        size_t remaining = count - index;
        unsigned valid;
        if (remaining >= 16) {
            valid = 0xFFFF;
        } else if (remaining > 0 && ((uintptr_t)(bytes + index) & 4095) <= 4096 - 16) {
            // As in weft_json_escape_ascii: a load that stays in the page cannot fault; bytes past the end are masked.
            valid = (1u << remaining) - 1;
        } else {
            break;
        }
        __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i hits = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)),
            _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(block, lastControl), block),
                         _mm_and_si128(_mm_cmplt_epi8(block, _mm_setzero_si128()), nonASCII)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hits) & valid;
        if (mask != 0) return index + (size_t)__builtin_ctz(mask);
        if (remaining <= 16) return count;
        index += 16;
    }
#endif
    while (index < count) {
        uint8_t byte = bytes[index];
        if (byte == 0x22 || byte == 0x5C || byte < 0x20 || (stopAtNonASCII && byte >= 0x80)) break;
        index++;
    }
    return index;
}

#endif
