//! The hand-written knowledge: notice rules (short texts that name a license
//! without quoting it, e.g. the Apache-2.0 boilerplate or the GNU "either
//! version 2 ... or any later version" paragraph), license names as people
//! write them (for "dual licensed under X or Y", Debian short names and
//! manifest fields), and the preference among SPDX texts that are
//! near-identical. Data only: matching lives in `detect`.

/// A notice: words (normalised the way `text` does) and what they mean.
pub(crate) struct NoticeRule {
    pub(crate) text: &'static str,
    pub(crate) expression: &'static str,
}

macro_rules! notices {
    ($($expression:literal => [$($text:literal),+ $(,)?]),+ $(,)?) => {
        &[$($(NoticeRule { text: $text, expression: $expression }),+),+]
    };
}

/// Notice rules. GNU notices are written from "under the terms of" so that
/// "This program" / "This library" / "This file is part of X" all match.
pub(crate) const NOTICES: &[NoticeRule] = notices![
    "Apache-2.0" => [
        "licensed under the apache license version 2 0 the license you may not use this file except in compliance with the license",
        "licensed under the apache license version 2 0",
        "under the apache license version 2 0",
        "apache license version 2 0 january 2004",
        "unless required by applicable law or agreed to in writing software distributed under the license is distributed on an as is basis without warranties or conditions of any kind either express or implied see the license for the specific language governing permissions and limitations under the license",
        "license apache 2 0",
        "under the apache 2 0 license",
        "licensed under apache license v 2 0",
    ],
    "Apache-2.0 OR BSD-3-Clause" => [
        "made available under the terms of either of the licenses found in license apache or license bsd",
    ],
    "MIT" => [
        "permission is hereby granted free of charge to any person obtaining a copy of this software and associated documentation files the software to deal in the software without restriction",
        "licensed under the mit license",
        "released under the mit license",
        "under the terms of the mit license",
        "distributed under the mit license",
        "mit license",
        "license mit",
    ],
    "GPL-1.0-or-later" => [
        "under the terms of the gnu general public license as published by the free software foundation either version 1 or at your option any later version",
        "under the terms of the gnu general public license as published by the free software foundation either version 1 of the license or at your option any later version",
    ],
    // Perl's own notice, quoted for modules "under the same terms as Perl
    // itself": one paragraph offering either license (the list markers
    // "a)" and "b)" are dropped by normalisation).
    "Artistic-1.0-Perl OR GPL-1.0-or-later" => [
        "under the terms of either the gnu general public license as published by the free software foundation either version 1 or at your option any later version or the artistic license which comes with perl",
    ],
    "GPL-2.0-or-later" => [
        "under the terms of the gnu general public license as published by the free software foundation either version 2 of the license or at your option any later version",
        "under the terms of the gnu general public license as published by the free software foundation either version 2 or at your option any later version",
        "free software foundation version 2 dated june 1991 or at your option any later version",
        "under the terms of the gnu general public license as published by the free software foundation version 2 of the license or at your option any later version",
        "under the terms of the gnu general public license as published by the free software foundation version 2 or at your option any later version",
        "gnu general public license version 2 or later",
        "gnu general public license v2 or later",
        "gpl 2 0 or later",
        "gpl 2 0 or any later version",
    ],
    "GPL-2.0-only" => [
        "under the terms of the gnu general public license version 2 as published by the free software foundation",
        "under the terms of the gnu general public license as published by the free software foundation version 2 of the license",
        "under the terms of the gnu general public license as published by the free software foundation version 2",
        "under the terms of the gnu general public license version 2 only",
    ],
    "GPL-3.0-or-later" => [
        "under the terms of the gnu general public license as published by the free software foundation either version 3 of the license or at your option any later version",
        "under the terms of the gnu general public license as published by the free software foundation either version 3 or at your option any later version",
        "under the terms of the gnu general public license as published by the free software foundation version 3 of the license or at your option any later version",
        "gnu general public license version 3 or later",
    ],
    "GPL-3.0-only" => [
        "under the terms of the gnu general public license version 3 as published by the free software foundation",
        "under the terms of the gnu general public license as published by the free software foundation version 3 of the license",
    ],
    "LGPL-2.1-or-later" => [
        "under the terms of the gnu lesser general public license as published by the free software foundation either version 2 1 of the license or at your option any later version",
        "under the terms of the gnu lesser general public license as published by the free software foundation either version 2 1 or at your option any later version",
    ],
    // A license inventory's shorthand (libxcrypt's "Copyright ...; LGPL (v2.1
    // or later): crypt.c, ..."), and its overall statement "the GNU Lesser
    // General Public License, version 2.1 (or, at your option, any later
    // version)".
    "LGPL-2.1-or-later" => [
        "lgpl v2 1 or later",
        "gnu lesser general public license version 2 1 or at your option any later version",
    ],
    "GPL-3.0-or-later WITH Autoconf-exception-3.0" => [
        "gpl v3 or later with autoconf exception",
    ],
    // As the Debian short name `GPL-2+ with Autoconf exception` reads.
    "GPL-2.0-or-later WITH Autoconf-exception-generic" => [
        "gpl v2 or later with autoconf exception",
    ],
    "LGPL-2.1-only" => [
        "under the terms of the gnu lesser general public license version 2 1 as published by the free software foundation",
        "under the terms of the gnu lesser general public license as published by the free software foundation version 2 1 of the license",
    ],
    "LGPL-2.0-or-later" => [
        "under the terms of the gnu library general public license as published by the free software foundation either version 2 of the license or at your option any later version",
        "under the terms of the gnu lesser general public license as published by the free software foundation either version 2 of the license or at your option any later version",
    ],
    "LGPL-2.0-only" => [
        "under the terms of the gnu library general public license version 2 as published by the free software foundation",
    ],
    "LGPL-3.0-or-later" => [
        "under the terms of the gnu lesser general public license as published by the free software foundation either version 3 of the license or at your option any later version",
    ],
    "LGPL-3.0-only" => [
        "under the terms of the gnu lesser general public license version 3 as published by the free software foundation",
        "under the terms of the gnu lesser general public license as published by the free software foundation version 3 of the license",
    ],
    // GMP's, nettle's, GnuTLS's and elfutils' choice of either license "or
    // both in parallel": one notice offering two licenses.
    "LGPL-3.0-or-later OR GPL-2.0-or-later" => [
        "under the terms of either the gnu lesser general public license as published by the free software foundation either version 3 of the license or at your option any later version or the gnu general public license as published by the free software foundation either version 2 of the license or at your option any later version or both in parallel as here",
    ],
    // The GNU gettext manual's terms: "dually licensed under the GNU FDL
    // and the GNU GPL ... under either of these two licenses, at your
    // choice", then each license's own "or any later version" paragraph.
    "GFDL-1.2-or-later OR GPL-2.0-or-later" => [
        "it is dually licensed under the gnu fdl and the gnu gpl this means that you can redistribute this manual under either of these two licenses at your choice this manual is covered by the gnu fdl permission is granted to copy distribute and or modify this document under the terms of the gnu free documentation license fdl either version 1 2 of the license or at your option any later version published by the free software foundation fsf with no invariant sections with no front cover text and with no back cover texts this manual is covered by the gnu gpl you can redistribute it and or modify it under the terms of the gnu general public license gpl either version 2 of the license or at your option any later version published by the free software foundation fsf",
    ],
    "AGPL-3.0-or-later" => [
        "under the terms of the gnu affero general public license as published by the free software foundation either version 3 of the license or at your option any later version",
    ],
    "AGPL-3.0-only" => [
        "under the terms of the gnu affero general public license version 3 as published by the free software foundation",
    ],
    "GFDL-1.3-or-later" => [
        "under the terms of the gnu free documentation license version 1 3 or any later version published by the free software foundation",
    ],
    "GFDL-1.2-or-later" => [
        "under the terms of the gnu free documentation license version 1 2 or any later version published by the free software foundation",
    ],
    "GFDL-1.1-or-later" => [
        "under the terms of the gnu free documentation license version 1 1 or any later version published by the free software foundation",
    ],
    "BSD-3-Clause" => [
        "use of this source code is governed by a bsd style license that can be found in the license file",
        "3 clause bsd",
    ],
    // The BSD variants by their clause count, as an inventory names them
    // ("Copyright Colin Percival; 2-clause BSD: alg-sha512.c").
    "BSD-2-Clause" => [
        "2 clause bsd",
    ],
    "0BSD" => [
        "0 clause bsd",
    ],
    "FSFAP" => [
        "fsf all permissive license",
    ],
    // FSFULLR with the warranty paragraph, whoever "gives unlimited
    // permission" (the author, the FSF): too short a text for the shared
    // wording to reach the 75 % a full text needs when the giver differs.
    "FSFULLRWD" => [
        "gives unlimited permission to copy and or distribute it with or without modifications as long as this notice is preserved this file is distributed in the hope that it will be useful but without any warranty to the extent permitted by law without even the implied warranty of merchantability or fitness for a particular purpose",
        "gives unlimited permission to copy and or distribute it with or without modifications as long as this notice is preserved this program is distributed in the hope that it will be useful but without any warranty to the extent permitted by law without even the implied warranty of merchantability or fitness for a particular purpose",
    ],
    // A patent license not on the SPDX list, named by its title (the
    // heading of its text, as libaom and rav1e ship it).
    "LicenseRef-alliance-open-media-patent-1.0" => [
        "alliance for open media patent license 1 0",
    ],
    // Short permissive grants no SPDX text matches: Jens-Uwe Mager's terms
    // in Tcl ("Permission is granted to freely use, copy, modify, and
    // redistribute this software, provided that the author is not construed
    // to be liable ..."), "May be used and distributed freely for any
    // purpose" (dpkg's start-stop-daemon, beside its public-domain line),
    // Philip Warner's pg_dump terms and the X0213 tables' line in
    // postgresql, the old GLib and GTK tests' "redistribution and
    // modification ... is permitted without restriction", and C E Chew's
    // "Feel free to copy, use and distribute this software provided: you do
    // not pretend that you wrote it ..." in glibc.
    "LicenseRef-permissive" => [
        "permission is granted to freely use copy modify and redistribute this software provided that the author is not construed to be liable for any results of using the software alterations are clearly marked as such and this notice is not modified",
        "may be used and distributed freely for any purpose",
        "rights are granted to use this software in any way so long as this notice is not removed",
        "you can use modify distribute this table freely",
        "redistribution and modification in whole or in part in any medium physical or electronic is permitted without restriction",
        "feel free to copy use and distribute this software provided you do not pretend that you wrote it",
    ],
    // FSFUL's two lines: the list's FSFUL text starts with the FSF's
    // copyright line, a third of its words, so a file quoting the two lines
    // under another copyright covers too little of it.
    "FSFUL" => [
        "this configure script is free software the free software foundation gives unlimited permission to copy distribute and modify it",
    ],
    "LicenseRef-public-domain" => [
        "this software is in the public domain",
        "released into the public domain",
        "placed in the public domain",
        "dedicated to the public domain",
        "are in the public domain",
        "is in the public domain",
        "are in public domain",
        // Steve Reid's SHA-1 code and its many copies.
        "100 public domain",
        // An inventory's entry ("Public domain, written by Ulrich Drepper et al.: crypt-sha256.c").
        "public domain written by",
    ],
];

/// Full texts the SPDX list lacks, matched like its texts. ScanCode knows
/// them under its own keys; `LicenseRef-xfree86-1.0` is the X11 text with
/// "the authors" (libxcb and many X libraries) or "the XFree86 Project"
/// (libx11, libxss) where X11 names the X Consortium, which is not X11 by
/// SPDX's matching guidelines. `LicenseRef-IETF` is the Internet Society's
/// permission on RFCs and Internet-Drafts ("This document and translations
/// of it may be copied and furnished to others ..."), quoted where a
/// package implements one. `HPND` in Digital Equipment's wording (glibc,
/// bash, unbound: an ISC-style grant "with or without fee", the name kept
/// out of advertising, the HPND disclaimer) shares too few words with the
/// list's HPND text to match it, and its disclaimer alone is no 0BSD.
/// Andy Polyakov's CRYPTOGAMS terms (OpenSSL's assembler modules, copied
/// into the kernel, GnuTLS and libgcrypt) are BSD-3-Clause "ALTERNATIVELY
/// ... the GNU General Public License (GPL)" without a version: a choice of
/// `BSD-3-Clause OR GPL-1.0-or-later`; the nearest SPDX text,
/// `BSD-Source-alt-GPL`, lacks the binary-redistribution clause.
pub(crate) const EXTRA_TEXTS: &[NoticeRule] = notices![
    "BSD-3-Clause OR GPL-1.0-or-later" => [
        "redistribution and use in source and binary forms with or without modification are permitted provided that the following conditions are met redistributions of source code must retain copyright notices this list of conditions and the following disclaimer redistributions in binary form must reproduce the above copyright notice this list of conditions and the following disclaimer in the documentation and or other materials provided with the distribution neither the name of the cryptogams nor the names of its copyright holder and contributors may be used to endorse or promote products derived from this software without specific prior written permission alternatively provided that this notice is retained in full this product may be distributed under the terms of the gnu general public license gpl in which case the provisions of the gpl apply instead of those given above this software is provided by the copyright holder and contributors as is and any express or implied warranties including but not limited to the implied warranties of merchantability and fitness for a particular purpose are disclaimed in no event shall the copyright owner or contributors be liable for any direct indirect incidental special exemplary or consequential damages including but not limited to procurement of substitute goods or services loss of use data or profits or business interruption however caused and on any theory of liability whether in contract strict liability or tort including negligence or otherwise arising in any way out of the use of this software even if advised of the possibility of such damage",
    ],
    "HPND" => [
        "permission to use copy modify and distribute this software for any purpose with or without fee is hereby granted provided that the above copyright notice and this permission notice appear in all copies and that the name of digital equipment corporation not be used in advertising or publicity pertaining to distribution of the document or software without specific written prior permission the software is provided as is and digital equipment corp disclaims all warranties with regard to this software including all implied warranties of merchantability and fitness in no event shall digital equipment corporation be liable for any special direct indirect or consequential damages or any damages whatsoever resulting from loss of use data or profits whether in an action of contract negligence or other tortious action arising out of or in connection with the use or performance of this software",
    ],
    "LicenseRef-IETF" => [
        "this document and translations of it may be copied and furnished to others and derivative works that comment on or otherwise explain it or assist in its implementation may be prepared copied published and distributed in whole or in part without restriction of any kind provided that the above copyright notice and this paragraph are included on all such copies and derivative works however this document itself may not be modified in any way such as by removing the copyright notice or references to the internet society or other internet organizations except as needed for the purpose of developing internet standards in which case the procedures for copyrights defined in the internet standards process must be followed or as required to translate it into languages other than english the limited permissions granted above are perpetual and will not be revoked by the internet society or its successors or assigns",
    ],
    "LicenseRef-xfree86-1.0" => [
        "permission is hereby granted free of charge to any person obtaining a copy of this software and associated documentation files the software to deal in the software without restriction including without limitation the rights to use copy modify merge publish distribute sublicense and or sell copies of the software and to permit persons to whom the software is furnished to do so subject to the following conditions the above copyright notice and this permission notice shall be included in all copies or substantial portions of the software the software is provided as is without warranty of any kind express or implied including but not limited to the warranties of merchantability fitness for a particular purpose and noninfringement in no event shall the authors be liable for any claim damages or other liability whether in an action of contract tort or otherwise arising from out of or in connection with the software or the use or other dealings in the software except as contained in this notice the names of the authors or their institutions shall not be used in advertising or otherwise to promote the sale use or other dealings in this software without prior written authorization from the authors",
        "permission is hereby granted free of charge to any person obtaining a copy of this software and associated documentation files the software to deal in the software without restriction including without limitation the rights to use copy modify merge publish distribute sublicense and or sell copies of the software and to permit persons to whom the software is furnished to do so subject to the following conditions the above copyright notice and this permission notice shall be included in all copies or substantial portions of the software the software is provided as is without warranty of any kind express or implied including but not limited to the warranties of merchantability fitness for a particular purpose and noninfringement in no event shall the xfree86 project be liable for any claim damages or other liability whether in an action of contract tort or otherwise arising from out of or in connection with the software or the use or other dealings in the software except as contained in this notice the name of the xfree86 project shall not be used in advertising or otherwise to promote the sale use or other dealings in this software without prior written authorization from the xfree86 project",
    ],
];

/// Debian's pointers to `/usr/share/common-licenses/<NAME>`. Alone they
/// name the license as ScanCode reads them (`GPL-2` is `GPL-2.0-only`);
/// `detect` drops one that follows a notice of the same license (the
/// "On Debian systems, the full text ..." line under an "or any later
/// version" notice). The unversioned `GPL` and `LGPL` pointers name any
/// version (`GPL-1.0-or-later`, `LGPL-2.0-or-later`) and belong to any
/// notice of their family before them.
pub(crate) const REFERENCES: &[NoticeRule] = notices![
    "GPL-1.0-or-later" => ["usr share common licenses gpl"],
    "LGPL-2.0-or-later" => ["usr share common licenses lgpl"],
    "GPL-2.0-only" => ["usr share common licenses gpl 2"],
    "GPL-3.0-only" => ["usr share common licenses gpl 3"],
    "LGPL-2.0-only" => ["usr share common licenses lgpl 2"],
    "LGPL-2.1-only" => ["usr share common licenses lgpl 2 1"],
    "LGPL-3.0-only" => ["usr share common licenses lgpl 3"],
    "Apache-2.0" => ["usr share common licenses apache 2 0"],
    "Artistic-1.0-Perl" => ["usr share common licenses artistic"],
    "GFDL-1.2-only" => ["usr share common licenses gfdl 1 2"],
    "GFDL-1.3-only" => ["usr share common licenses gfdl 1 3"],
    "MPL-1.1" => ["usr share common licenses mpl 1 1"],
    "MPL-2.0" => ["usr share common licenses mpl 2 0"],
    "CC0-1.0" => ["usr share common licenses cc0 1 0"],
    "BSD-3-Clause" => ["usr share common licenses bsd"],
];

/// License names as written in prose and manifests (normalised words) and
/// their SPDX ids; longest names first within a family so that a scan
/// picks the most specific.
pub(crate) const NAMES: &[(&str, &str)] = &[
    ("apache license version 2 0", "Apache-2.0"),
    ("apache software license version 2 0", "Apache-2.0"),
    ("apache software license 2 0", "Apache-2.0"),
    ("apache license 2 0", "Apache-2.0"),
    ("apache 2 0", "Apache-2.0"),
    ("apache 2", "Apache-2.0"),
    ("apache2", "Apache-2.0"),
    ("asl 2 0", "Apache-2.0"),
    ("mit license", "MIT"),
    ("mit", "MIT"),
    ("expat", "MIT"),
    ("bsd 3 clause", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("revised bsd license", "BSD-3-Clause"),
    ("bsd 2 clause", "BSD-2-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("freebsd license", "BSD-2-Clause"),
    ("isc license", "ISC"),
    ("isc", "ISC"),
    ("zlib license", "Zlib"),
    ("zlib", "Zlib"),
    ("the unlicense", "Unlicense"),
    ("unlicense", "Unlicense"),
    ("boost software license 1 0", "BSL-1.0"),
    ("boost software license", "BSL-1.0"),
    ("mozilla public license 2 0", "MPL-2.0"),
    ("mozilla public license version 2 0", "MPL-2.0"),
    ("mpl 2 0", "MPL-2.0"),
    ("mozilla public license 1 1", "MPL-1.1"),
    ("eclipse public license 2 0", "EPL-2.0"),
    ("eclipse public license v 2 0", "EPL-2.0"),
    ("eclipse public license 1 0", "EPL-1.0"),
    ("eclipse public license v 1 0", "EPL-1.0"),
    ("common development and distribution license 1 0", "CDDL-1.0"),
    ("cddl 1 0", "CDDL-1.0"),
    ("cc0 1 0 universal", "CC0-1.0"),
    ("cc0 1 0", "CC0-1.0"),
    ("cc0", "CC0-1.0"),
    ("gnu lesser general public license version 2 1", "LGPL-2.1-only"),
    ("gnu lesser general public license v2 1", "LGPL-2.1-only"),
    ("gnu lesser general public license version 3", "LGPL-3.0-only"),
    ("gnu general public license version 2", "GPL-2.0-only"),
    ("gnu general public license v2", "GPL-2.0-only"),
    ("gnu general public license version 3", "GPL-3.0-only"),
    ("gnu general public license v3", "GPL-3.0-only"),
    ("gnu affero general public license version 3", "AGPL-3.0-only"),
    ("python software foundation license", "PSF-2.0"),
    ("artistic license 2 0", "Artistic-2.0"),
    ("wtfpl", "WTFPL"),
];

/// Debian short names (DEP-5 `License:` fields) that are not SPDX ids as
/// written; versioned GNU names (`GPL-2+`, `LGPL-2.1`) are handled by rule.
pub(crate) const DEBIAN_NAMES: &[(&str, &str)] = &[
    ("expat", "MIT"),
    ("mit", "MIT"),
    ("bsd-2-clause", "BSD-2-Clause"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("bsd-4-clause", "BSD-4-Clause"),
    ("apache-2", "Apache-2.0"),
    ("apache-2.0", "Apache-2.0"),
    ("artistic", "Artistic-1.0-Perl"),
    ("artistic-1", "Artistic-1.0-Perl"),
    ("artistic-2", "Artistic-2.0"),
    ("perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    ("public-domain", "LicenseRef-public-domain"),
    ("public domain", "LicenseRef-public-domain"),
    ("pd", "LicenseRef-public-domain"),
    ("pd-debian", "LicenseRef-public-domain"),
    // Debian's name for any all-permissive text (ScanCode's `other-permissive`):
    // the text under it is reported beside it.
    ("permissive", "LicenseRef-permissive"),
    ("psf-2", "PSF-2.0"),
    ("psf", "PSF-2.0"),
    ("python", "Python-2.0"),
    ("zlib", "Zlib"),
    ("isc", "ISC"),
    ("mpl-1.1", "MPL-1.1"),
    ("mpl-2.0", "MPL-2.0"),
    ("mpl-2", "MPL-2.0"),
    ("cc0", "CC0-1.0"),
    ("cc0-1.0", "CC0-1.0"),
    ("boost-1.0", "BSL-1.0"),
    ("bsl-1.0", "BSL-1.0"),
    ("unicode-dfs-2016", "Unicode-DFS-2016"),
    ("x11", "X11"),
    ("curl", "curl"),
    ("openssl", "OpenSSL"),
    ("ssleay", "SSLeay-standalone"),
    ("unlicense", "Unlicense"),
    ("wtfpl", "WTFPL"),
    ("zpl-2.1", "ZPL-2.1"),
    ("ofl-1.1", "OFL-1.1"),
    ("sil-ofl-1.1", "OFL-1.1"),
    ("lppl-1.3c", "LPPL-1.3c"),
    ("ftl", "FTL"),
    ("libpng", "Libpng"),
    ("libpng-2.0", "libpng-2.0"),
    ("ijg", "IJG"),
    ("isc-like", "ISC"),
];

/// Debian exception short names (`GPL-2+ with Autoconf exception`) that are
/// not SPDX ids: the name, the license the exception's version follows
/// (first match wins; `""` is any), and the SPDX exception ScanCode
/// reports for it.
pub(crate) const DEBIAN_EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("autoconf", "GPL-3.0", "Autoconf-exception-3.0"),
    ("autoconf", "", "Autoconf-exception-generic"),
    ("bison", "", "Bison-exception-2.2"),
];

/// SPDX ids preferred when two texts match equally well: the common one,
/// not its rare look-alike.
pub(crate) const PREFERRED: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "ISC",
    "Zlib",
    "Unlicense",
    "BSL-1.0",
    "MPL-2.0",
    "MPL-1.1",
    "GPL-2.0-only",
    "GPL-3.0-only",
    "LGPL-2.1-only",
    "LGPL-3.0-only",
    "LGPL-2.0-only",
    "AGPL-3.0-only",
    "CC0-1.0",
    "PSF-2.0",
    "Python-2.0",
    "X11",
    "Artistic-2.0",
    "EPL-2.0",
    "EPL-1.0",
    "OFL-1.1",
];

/// Rare SPDX variants of a common text that differ from it by a few words
/// (a name, one clause); `index` computes those words, and a match lacking
/// most of them is reported as the common text, as ScanCode does.
pub(crate) const LOOK_ALIKES: &[&str] = &[
    "BSD-3-Clause-HP",
    "BSD-3-Clause-Tso",
    "BSD-2-Clause-pos-unchanged",
    "X11-no-permit-persons",
    "HPND-sell-variant-critical-systems",
    "MIT-Khronos-old",
    "Boehm-GC-without-fee",
];

/// Texts (SPDX or [`EXTRA_TEXTS`]) that are a common text with a few words
/// changed or added but not named after it: `(variant, common)`, linked
/// like [`LOOK_ALIKES`]. Cornell-Lossless-JPEG is the PostgreSQL grant
/// ("without written agreement", "the following two paragraphs") with
/// Cornell's name; a match without Cornell's words is the PostgreSQL text
/// (rsync and postgresql quote it under `License: PostgreSQL` or a name of
/// their own). The CRYPTOGAMS terms without their GPL paragraph are
/// BSD-3-Clause.
pub(crate) const LOOK_ALIKES_OF: &[(&str, &str)] = &[
    ("Cornell-Lossless-JPEG", "PostgreSQL"),
    ("BSD-3-Clause OR GPL-1.0-or-later", "BSD-3-Clause"),
];
