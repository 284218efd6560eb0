/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * How long a translated ICMP error may be, and where its RFC 4884
 * extension goes. Included by nat64.c; used on the ICMP error path only.
 *
 *   size   RFC 4443 2.4 (c): an ICMPv6 error "MUST NOT exceed the minimum
 *          IPv6 MTU" (1280 bytes, IPv6 header included); RFC 1812 4.3.2.3:
 *          an ICMPv4 error holds as much of the original datagram as fits
 *          in 576 bytes (IP header included). RFC 7915 4.2/5.2 translate
 *          errors into the other family's, so the other family's limit
 *          applies: the quote is cut at its end (its own length fields keep
 *          their values: they describe the packet that was sent).
 *   RFC 4884 An error may carry an extension structure after an "original
 *          datagram" field whose length the length attribute gives: 32-bit
 *          words in ICMPv4 (byte 5), 64-bit words in ICMPv6 (byte 4). The
 *          field is zero-padded to the word and to 128 bytes (4.1, 4.4);
 *          the extension is carried as an opaque block (its checksum covers
 *          only itself, so it does not change). When the message must be
 *          cut: the headers and 128 bytes of quote first, then the whole
 *          extension (or none, length attribute 0), then the rest of the
 *          quote.
 *
 * The plan (icmp_fit) is made before the packet changes; the bytes it
 * removes leave the outer checksum incrementally (a wrong checksum stays
 * exactly as wrong); in the rewrite stage icmp_fit_trim resizes the frame
 * and icmp_fit_place moves the extension. All three are global functions
 * taking scalars, their state in a per-CPU map: the caller's verification
 * does not multiply by their branches.
 *
 * Knock-out builds: -DNAT64_NO_ICMP_SIZE_LIMIT (no cut) and
 * -DNAT64_NO_RFC4884 (every error read as one without extension).
 */
#ifndef NAT64_ICMP_SIZE_H
#define NAT64_ICMP_SIZE_H

#define ICMP4_ERR_MAX 576          /* RFC 1812 4.3.2.3: bytes of an ICMPv4 error, IP header included */
#define ICMP6_ERR_MAX IPV6_MIN_MTU /* RFC 4443 2.4 (c): bytes of an ICMPv6 error, IPv6 header included */
#define ICMP_EXT_HLEN 4            /* struct icmp_ext_hdr: version, reserved, checksum (RFC 4884 7) */
#define ICMP_EXT_CHUNK 64          /* bytes of extension moved per helper call */
#define ICMP_EXT_FIELD_MAX (0xff * 8) /* the longest field a length attribute states: 255 words of 8 (RFC 4884 4.4) */
/* The most extension bytes an error keeps: 1280 - 40 - 8 - 128, in whole chunks. */
#define ICMP_EXT_MAX 1152
_Static_assert(ICMP_EXT_MAX >= ICMP6_ERR_MAX - IP6_HLEN - 8 - ICMP_EXT_ORIG_DGRAM_MIN, "an extension that fits");
/* The most zero padding the field gets: 6to4, 128 bytes of field from a quote of 128 - 20 - MAX_QEXT. */
#define ICMP_PAD_MAX (2 * ICMP_EXT_CHUNK)
_Static_assert(ICMP_PAD_MAX >= IP6_HLEN - IP4_HLEN + MAX_QEXT, "padding that fits");

#ifdef NAT64_NO_ICMP_SIZE_LIMIT
#define ICMP_ROOM(max, hlen) IP_LEN_MAX /* knock-out: nothing is cut */
#else
#define ICMP_ROOM(max, hlen) ((max) - (hlen) - 8) /* bytes after the ICMP header */
#endif

/* What icmp_fit decides for one error; offsets are frame offsets of the input. */
struct icmp_fit {
	__u32 quote;   /* the translated quote's bytes kept */
	__u32 pad;     /* zero bytes after them (RFC 4884: to the word, and to 128) */
	__u32 ext_out; /* the extension's bytes kept: all or none */
	__u32 len;     /* the translated ICMP message's length */
	__u32 in_len;  /* the input frame's length that becomes the planned message's */
	__u16 sum;     /* what the outer checksum's sum gains: the complement of the bytes left out */
	__u8 attr;     /* the translated length attribute */
	__u8 resize;   /* the message's length differs from a plain translation's */
	__u8 move;     /* and the extension moves */
};

/*
 * The plan, and the extension on its way (saved before the packet changes,
 * written back after), per CPU: the stages of one packet run on one CPU.
 */
struct icmp_ext_buf {
	struct icmp_fit fit;
	__u8 b[ICMP_EXT_MAX];
	__u8 zero[ICMP_EXT_CHUNK]; /* never written: the padding's zeros */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct icmp_ext_buf);
} nat64_icmp_ext SEC(".maps");

static __always_inline struct icmp_ext_buf *icmp_ext_buf_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&nat64_icmp_ext, &key);
}

/* The ICMPv4 errors with an RFC 4884 length attribute (byte 5): RFC 4884 4.6. */
static __always_inline int icmp4_has_length(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

/* The ICMPv6 errors with an RFC 4884 length attribute (byte 4): RFC 4884 4.6. */
static __always_inline int icmp6_has_length(__u8 type)
{
	return type == ICMPV6_DEST_UNREACH || type == ICMPV6_TIME_EXCEED;
}

/*
 * The original datagram field of an error whose type carries the RFC 4884
 * length attribute (`attr` words of `unit` bytes), out of `avail` bytes
 * after the ICMP header: its length, or `avail` for a message without
 * extension. 0 is RFC 4884 5's "no extension" (a legacy message, whatever
 * follows its 128th byte, is all quote). A non-compliant attribute (a field
 * under 128 bytes, RFC 4884 4.1/4.4; or one that leaves no room for an
 * extension header before the end) is read the same way: docs/translator.md.
 */
static __always_inline __u32 icmp_ext_field(__u32 attr, __u32 unit, __u32 avail)
{
#ifdef NAT64_NO_RFC4884
	return avail; /* knock-out: extensions are quote */
#else
	__u32 field = attr * unit;

	if (!attr)
		return avail; /* RFC 4884 5: no length attribute, no extension */
	if (field < ICMP_EXT_ORIG_DGRAM_MIN || field + ICMP_EXT_HLEN > avail)
		return avail; /* RFC 4884 5: non-compliant, read as no extension (docs/translator.md) */
	return field;
#endif
}

/* Copy the `len` extension bytes at `from` aside, before the packet changes: 0, or -1 if unreadable. */
SUBPROG int icmp_ext_save(struct __sk_buff *skb, __u32 from, __u32 len)
{
	struct icmp_ext_buf *buf = icmp_ext_buf_get();
	__u32 off, n;

	if (!buf || len > ICMP_EXT_MAX)
		return -1; /* never: the map exists, and icmp_fit keeps no longer extension */
	for (__u32 i = 0; i < ICMP_EXT_MAX / ICMP_EXT_CHUNK; i++) {
		off = i * ICMP_EXT_CHUNK;
		if (off >= len)
			break;
		n = len - off < ICMP_EXT_CHUNK ? len - off : ICMP_EXT_CHUNK;
		if (bpf_skb_load_bytes(skb, from + off, &buf->b[off], BOUNDED(n, ICMP_EXT_CHUNK)))
			return -1; /* beyond the frame: cannot happen, the message was checked */
	}
	return 0;
}

/* x->quoted of an error icmp_fit made a plan for: the rewrite resizes it (icmp_fit_trim, icmp_fit_place). */
#define QUOTED_FIT 2

/*
 * The common error needs no plan: no extension follows its quote, and
 * translated (the quote growing by `d`) it fits in `room` bytes after the
 * ICMP header. Then the message is 8 + that, and nothing is cut or moved:
 * icmp_fit's call, map lookups and resizing are skipped.
 */
static __always_inline int icmp_fit_plain(__u32 field, __u32 avail, int d, __u32 room)
{
	return field == avail && field + d <= room;
}

/*
 * The length of the datagram inside an original datagram field that the
 * sender zero-padded (RFC 4884 4.1: a field "MUST be zero padded" to 128
 * bytes, and to the word): `dgram` bytes, as the quoted IP header says, of
 * a `field` an extension follows (`avail` bytes after the ICMP header).
 * 0 when there is no padding to tell apart: no extension (a legacy
 * message's bytes are all quote) or a datagram that fills the field. The
 * quoted checksum word is rewritten only inside the datagram (quoted_4to6,
 * quoted_6to4), so cutting at its end never cuts that word.
 */
static __always_inline __u32 icmp_field_datagram(__u32 field, __u32 avail, __u32 dgram)
{
	if (field >= avail || dgram >= field)
		return 0;
	return dgram;
}

/* icmp_fit's last argument: direction (the output's limit and word), length attribute out, datagram, growth. */
#define ICMP_FIT_TO6 0x1     /* ICMPv4 -> ICMPv6: 1280 bytes, 8-byte words */
#define ICMP_FIT_CARRIES 0x2 /* the output type has a length attribute (RFC 4884 4.6) */
#define ICMP_FIT_DGRAM_SHIFT 4
#define ICMP_FIT_DGRAM_MASK 0xfff /* icmp_field_datagram's result: under a field of at most 255 words of 8 */
_Static_assert(ICMP_EXT_FIELD_MAX <= ICMP_FIT_DGRAM_MASK, "a padded datagram's length fits its bits");
#define ICMP_FIT_HOW(to6, carries, dgram, d)                                        \
	(((to6) ? ICMP_FIT_TO6 : 0) | ((carries) ? ICMP_FIT_CARRIES : 0) |               \
	 (((__u32)(dgram) & ICMP_FIT_DGRAM_MASK) << ICMP_FIT_DGRAM_SHIFT) | (((__u32)(d) & 0xffff) << 16))

/*
 * Decide the translated message and record it in the map's `fit` (RFC 7915
 * 4.2/5.2, RFC 4884 4 and 5): `msg` and `end` frame the input message,
 * `field` is its original datagram field (icmp_ext_field), `how` packs
 * the direction, whether the output carries a length attribute, the
 * length of a datagram the field pads (icmp_field_datagram, else 0) and
 * `d`, what translating the quoted headers adds to the quote (negative
 * 6to4).
 * The bytes left out are summed and the extension saved now, before the
 * packet changes. A global function: verified once, not in every state of
 * the caller. 0, or -1 if the bytes could not be read.
 */
SUBPROG int icmp_fit(struct __sk_buff *skb, __u32 msg, __u32 end, __u32 field, __u32 how)
{
	struct icmp_ext_buf *buf = icmp_ext_buf_get();
	struct icmp_fit *f;
	int d = (__s16)(how >> 16);
	__u32 dgram = (how >> ICMP_FIT_DGRAM_SHIFT) & ICMP_FIT_DGRAM_MASK;
	__u16 s;
	__u32 unit = how & ICMP_FIT_TO6 ? 8 : 4;
	__u32 room = how & ICMP_FIT_TO6 ? ICMP_ROOM(ICMP6_ERR_MAX, IP6_HLEN) : ICMP_ROOM(ICMP4_ERR_MAX, IP4_HLEN);
	__u32 avail = end - msg - sizeof(struct icmphdr), ext_len, fo, q = 0, cut, rm_end;

	if (!buf || field > avail)
		return -1; /* never: the map exists, and the field lies in the message */
	f = &buf->fit;
	ext_len = avail - field;
	fo = field + d; /* the translated field as quoted, before any padding */
	f->ext_out = 0;
	if (ext_len && (how & ICMP_FIT_CARRIES)) {
		/* RFC 4884 4.1/4.4: padded to the word, at least 128 bytes */
		q = fo < ICMP_EXT_ORIG_DGRAM_MIN ? ICMP_EXT_ORIG_DGRAM_MIN : (fo + unit - 1) & ~(unit - 1);
		/* too long: the quote gives way first, down to 128 bytes, then the extension goes whole */
		if (q + ext_len > room && ICMP_EXT_ORIG_DGRAM_MIN + ext_len <= room)
			q = (room - ext_len) & ~(unit - 1);
		if (q + ext_len <= room)
			f->ext_out = ext_len;
	}
	if (!f->ext_out) {
		/*
		 * No extension out (dropped, or a type without length attribute):
		 * a receiver reads every byte after the ICMP header as the invoking
		 * packet (RFC 4443 3.x, RFC 792), so the field's zero padding
		 * (RFC 4884 4.1) goes with the extension; then the quote, cut at the end.
		 */
		if (dgram)
			fo = dgram + d;
		q = fo < room ? fo : room;
	}
	f->quote = q < fo ? q : fo;
	f->pad = q - f->quote;
	f->attr = f->ext_out ? q / unit : 0; /* RFC 4884: an error without extension says 0 */
	f->len = sizeof(struct icmphdr) + q + f->ext_out;
	f->in_len = msg + f->len - d;
	f->resize = f->len != end - msg + d;
	f->move = f->ext_out && q != fo;
	/* RFC 1624: the bytes left out leave the outer checksum (a wrong one stays as wrong) */
	f->sum = 0;
	cut = msg + sizeof(struct icmphdr) + f->quote - d;
	rm_end = f->ext_out ? msg + sizeof(struct icmphdr) + field : end;
	if (cut < rm_end) {
		if (sum_bytes(skb, cut, rm_end - cut))
			return -1; /* cannot happen: the bytes are inside the message */
		s = fold64(sum_scratch());
		/* summed from an odd offset of the message (a datagram of odd length): each byte took the other half */
		if ((cut - msg) & 1)
			s = (__u16)((s << 8) | (s >> 8));
		f->sum = ~s;
	}
	if (f->move && icmp_ext_save(skb, msg + sizeof(struct icmphdr) + field, f->ext_out))
		return -1; /* cannot happen: the extension is inside the message */
	return 0;
}

/*
 * After the header change: the saved extension (`ext_len` bytes) written at
 * frame offset `ext_off`, and the bytes from `pad_off` up to it zeroed.
 * 0, or -1 if a helper failed.
 */
SUBPROG int icmp_ext_restore(struct __sk_buff *skb, __u32 pad_off, __u32 ext_off, __u32 ext_len)
{
	struct icmp_ext_buf *buf = icmp_ext_buf_get();
	__u32 off, n;

	if (!buf || ext_len > ICMP_EXT_MAX || pad_off > ext_off || ext_off - pad_off > ICMP_PAD_MAX)
		return -1; /* never: the map exists, and the plan keeps within these */
	for (__u32 i = 0; i < ICMP_EXT_MAX / ICMP_EXT_CHUNK; i++) {
		off = i * ICMP_EXT_CHUNK;
		if (off >= ext_len)
			break;
		n = ext_len - off < ICMP_EXT_CHUNK ? ext_len - off : ICMP_EXT_CHUNK;
		if (bpf_skb_store_bytes(skb, ext_off + off, &buf->b[off], BOUNDED(n, ICMP_EXT_CHUNK), 0))
			return -1; /* the extension could not be written */
	}
	for (__u32 i = 0; i < ICMP_PAD_MAX / ICMP_EXT_CHUNK; i++) {
		off = pad_off + i * ICMP_EXT_CHUNK;
		if (off >= ext_off)
			break;
		n = ext_off - off < ICMP_EXT_CHUNK ? ext_off - off : ICMP_EXT_CHUNK;
		if (bpf_skb_store_bytes(skb, off, buf->zero, BOUNDED(n, ICMP_EXT_CHUNK), 0))
			return -1; /* the padding could not be written */
	}
	return 0;
}

/*
 * The rewrite's first step, before the header change: the frame cut (or
 * grown) to the length that becomes the planned message's. First, so that
 * the header change never makes a frame longer than the device allows.
 * 0, or -1 if the kernel could not.
 */
SUBPROG int icmp_fit_trim(struct __sk_buff *skb)
{
	struct icmp_ext_buf *buf = icmp_ext_buf_get();

	if (!buf)
		return -1; /* never: the map exists */
	if (!buf->fit.resize)
		return 0; /* a plain translation: nothing cut, padded or moved */
	return bpf_skb_change_tail(skb, buf->fit.in_len, 0) ? -1 : 0;
}

/* The rewrite's last step: the extension moved behind the padded quote, whose ICMP header is at `msg`. */
SUBPROG int icmp_fit_place(struct __sk_buff *skb, __u32 msg)
{
	struct icmp_ext_buf *buf = icmp_ext_buf_get();
	__u32 pad_off;

	if (!buf)
		return -1; /* never: the map exists */
	if (!buf->fit.move)
		return 0; /* the extension is where the header change left it, or there is none */
	pad_off = msg + sizeof(struct icmphdr) + buf->fit.quote;
	return icmp_ext_restore(skb, pad_off, pad_off + buf->fit.pad, buf->fit.ext_out);
}

#endif
