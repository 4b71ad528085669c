//! Detection on license texts, notices and files holding several licenses.

use vigil_license::{Detector, FileLicense};

fn detect(text: &str) -> FileLicense {
    Detector::shared().detect(text.as_bytes())
}

/// The SPDX text of `id` (empty when missing, which fails the caller's assertion).
fn spdx_text(id: &str) -> &'static str {
    spdx::text::LICENSE_TEXTS.iter().find(|(name, _)| *name == id).map_or("", |(_, text)| *text)
}

/// Each common license's own SPDX text is detected as that license alone.
#[test]
fn full_spdx_texts_are_detected_as_themselves() {
    for id in [
        "MIT",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "Zlib",
        "Unlicense",
        "BSL-1.0",
        "MPL-2.0",
        "GPL-2.0-only",
        "GPL-3.0-only",
        "LGPL-2.1-only",
        "AGPL-3.0-only",
        "0BSD",
        "X11",
    ] {
        let found = detect(spdx_text(id));
        assert_eq!(found.expression.as_deref(), Some(id), "{id}: {found:#?}");
        assert!(found.score >= 90, "{id}: score {}", found.score);
    }
}

/// The GNU texts Debian ships are found as the `-only` license.
#[test]
fn debian_common_licenses_are_detected() {
    let cases = [
        ("GPL-2", "GPL-2.0-only"),
        ("GPL-3", "GPL-3.0-only"),
        ("LGPL-2.1", "LGPL-2.1-only"),
        ("Apache-2.0", "Apache-2.0"),
    ];
    for (file, expected) in cases {
        let path = std::path::Path::new("/usr/share/common-licenses").join(file);
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let found = Detector::shared().detect(&bytes);
        assert_eq!(found.expression.as_deref(), Some(expected), "{}", path.display());
    }
}

#[test]
fn dep5_copyright_yields_every_license_paragraph() {
    let found = detect(include_str!("fixtures/dep5-copyright"));
    assert_eq!(found.expression.as_deref(), Some("GPL-2.0-or-later AND BSD-3-Clause AND MIT"));
    insta::assert_yaml_snapshot!(found);
}

#[test]
fn dual_licensing_gives_or() {
    let readme =
        "# frob\n\nThis project is dual-licensed under MIT or Apache-2.0, at your option.\n";
    let found = detect(readme);
    assert_eq!(found.expression.as_deref(), Some("MIT OR Apache-2.0"));
    let rust_style = "## License\n\nLicensed under either of\n\n * Apache License, Version 2.0\n   ([LICENSE-APACHE](LICENSE-APACHE) or http://www.apache.org/licenses/LICENSE-2.0)\n * MIT license\n   ([LICENSE-MIT](LICENSE-MIT) or http://opensource.org/licenses/MIT)\n\nat your option.\n";
    let found = detect(rust_style);
    assert_eq!(found.expression.as_deref(), Some("Apache-2.0 OR MIT"));
    insta::assert_yaml_snapshot!(found);
}

#[test]
fn apache_notice_header() {
    let header = r#"/*
 * Copyright 2024 The Frob Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package frob;
"#;
    let found = detect(header);
    assert_eq!(found.expression.as_deref(), Some("Apache-2.0"));
    insta::assert_yaml_snapshot!(found);
}

#[test]
fn gnu_notices_say_only_or_later() {
    let later = "This program is free software; you can redistribute it and/or modify\nit under the terms of the GNU General Public License as published by\nthe Free Software Foundation; either version 3 of the License, or\n(at your option) any later version.\n";
    assert_eq!(detect(later).expression.as_deref(), Some("GPL-3.0-or-later"));
    let only = "This program is free software; you can redistribute it and/or modify\nit under the terms of the GNU General Public License version 2 as\npublished by the Free Software Foundation.\n";
    assert_eq!(detect(only).expression.as_deref(), Some("GPL-2.0-only"));
    let lesser = "This library is free software; you can redistribute it and/or\nmodify it under the terms of the GNU Lesser General Public\nLicense as published by the Free Software Foundation; either\nversion 2.1 of the License, or (at your option) any later version.\n";
    assert_eq!(detect(lesser).expression.as_deref(), Some("LGPL-2.1-or-later"));
}

#[test]
fn two_full_texts_in_one_file_are_joined_with_and() {
    let text = format!("{}\n\n---\n\n{}", spdx_text("MIT"), spdx_text("Apache-2.0"));
    let found = detect(&text);
    assert_eq!(found.expression.as_deref(), Some("MIT AND Apache-2.0"));
    let summary: Vec<_> = found
        .detections
        .iter()
        .map(|d| (d.expression.as_str(), d.start_line, d.end_line, d.kind))
        .collect();
    insta::assert_debug_snapshot!(summary);
}

/// The SPDX LGPL-3.0 text carries the GPL-3.0 after it; COPYING.LESSER
/// files carry only the first part.
#[test]
fn lgpl3_alone_and_with_the_gpl() {
    let full = spdx_text("LGPL-3.0-only");
    let lesser = full.split("\nGNU GENERAL PUBLIC LICENSE").next().unwrap_or("");
    assert_eq!(detect(lesser).expression.as_deref(), Some("LGPL-3.0-only"));
    assert_eq!(detect(full).expression.as_deref(), Some("LGPL-3.0-only AND GPL-3.0-only"));
}

#[test]
fn a_file_holding_only_an_expression_declares_it() {
    assert_eq!(detect("MIT OR Apache-2.0\n").expression.as_deref(), Some("MIT OR Apache-2.0"));
    assert_eq!(detect("Frobnicate\n").expression, None);
}

#[test]
fn bsd_three_clause_beats_two_clause() {
    assert_eq!(detect(spdx_text("BSD-3-Clause")).expression.as_deref(), Some("BSD-3-Clause"));
    assert_eq!(detect(spdx_text("BSD-2-Clause")).expression.as_deref(), Some("BSD-2-Clause"));
}

#[test]
fn spdx_headers_are_read_and_normalised() {
    let source = "// SPDX-License-Identifier: GPL-2.0+ OR MIT\nfn main() {}\n";
    let found = detect(source);
    assert_eq!(found.expression.as_deref(), Some("GPL-2.0-or-later OR MIT"));
    assert_eq!(found.notes, ["deprecated `GPL-2.0+` written as `GPL-2.0-or-later`"]);
    let broken = detect("/* SPDX-License-Identifier: MIT OR */\n");
    assert_eq!(broken.expression, None);
    assert!(
        broken.notes[0].starts_with("line 1: malformed license expression"),
        "{:?}",
        broken.notes
    );
}

/// The DEP-5 header every fixture below starts with.
const DEP5: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n";

/// A second common-licenses pointer a few lines after another is found on
/// its own (it used to be chained to the first and lost).
#[test]
fn a_second_common_licenses_pointer_is_found() {
    let text = format!(
        "{DEP5}Files: *\nCopyright: 2020 A\nLicense: GPL-3+\n\nLicense: GPL\n On Debian machines the full text of the GNU General Public License\n can be found in the file /usr/share/common-licenses/GPL.\n\nLicense: GPL-3+\n On Debian machines the full text of the GNU General Public License\n version 3 can be found in the file /usr/share/common-licenses/GPL-3.\n"
    );
    let found = detect(&text);
    assert_eq!(
        found.expression.as_deref(),
        Some("GPL-3.0-or-later AND GPL-1.0-or-later AND GPL-3.0-only"),
        "{found:#?}"
    );
}

/// The one-clause BSD text under `License: BSD-1-clause`: the field names
/// the variant; the text alone would nearly match BSD-2-Clause.
const ONE_CLAUSE_BSD: &str = " Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following condition is met:
 .
 Redistributions of source code must retain the above copyright notice,
 this condition and the following disclaimer.
 .
 THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS \"AS IS\"
 AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
 LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 POSSIBILITY OF SUCH DAMAGE.
";

/// A known field's license wins over a look-alike text of the same family
/// matched in its body; an unknown name keeps the text's answer.
#[test]
fn a_dep5_field_names_the_variant_of_a_look_alike_text() {
    let named =
        format!("{DEP5}Files: *\nCopyright: 2021 A\nLicense: BSD-1-clause\n{ONE_CLAUSE_BSD}");
    assert_eq!(detect(&named).expression.as_deref(), Some("BSD-1-Clause"));
    let unnamed = format!("{DEP5}Files: *\nCopyright: 2021 A\nLicense: other\n{ONE_CLAUSE_BSD}");
    assert_eq!(detect(&unnamed).expression.as_deref(), Some("BSD-2-Clause"));
}

/// A bodiless field of an unknown short name takes the expression of the
/// text given once under the same name.
#[test]
fn an_unknown_short_name_refers_to_its_text() {
    let text = format!(
        "{DEP5}Files: src/*\nCopyright: 2021 A\nLicense: Example-permissive\n\nFiles: debian/*\nCopyright: 2022 B\nLicense: GPL-2+\n\nLicense: Example-permissive\n Permission to use, copy, modify, and/or distribute this software for any\n purpose with or without fee is hereby granted, provided that the above\n copyright notice and this permission notice appear in all copies.\n .\n THE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL WARRANTIES\n WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF\n MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR\n ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES\n WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN\n ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF\n OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.\n"
    );
    let found = detect(&text);
    assert_eq!(found.expression.as_deref(), Some("ISC AND GPL-2.0-or-later"), "{found:#?}");
    assert_eq!(found.detections.first().map(|d| d.start_line), Some(5));
}

/// The X11 text with "the authors" where X11 names the X Consortium is not
/// X11 (SPDX's matching guidelines): it is `LicenseRef-xfree86-1.0`.
#[test]
fn x11_with_generic_names_is_xfree86() {
    let text = "Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

Except as contained in this notice, the names of the authors or their
institutions shall not be used in advertising or otherwise to promote the
sale, use or other dealings in this Software without prior written
authorization from the authors.
";
    assert_eq!(detect(text).expression.as_deref(), Some("LicenseRef-xfree86-1.0"));
    assert_eq!(detect(spdx_text("X11")).expression.as_deref(), Some("X11"));
    // The same terms naming the XFree86 Project (libx11, libxss).
    let project = text
        .replace("AUTHORS BE LIABLE", "XFREE86 PROJECT BE LIABLE")
        .replace(
            "the names of the authors or their\ninstitutions shall",
            "the name of the XFree86 Project\nshall",
        )
        .replace("authorization from the authors", "authorization from the XFree86 Project");
    assert_eq!(detect(&project).expression.as_deref(), Some("LicenseRef-xfree86-1.0"));
    let mit = text.split("\nExcept").next().unwrap_or("");
    assert_eq!(detect(mit).expression.as_deref(), Some("MIT"));
}

/// `/usr/share/common-licenses/GPL` (no version) names any version of the
/// GPL; after a notice of some GPL version it only points at that text.
#[test]
fn unversioned_common_licenses_pointers() {
    let alone = "This package is free software.\n\nOn Debian systems, see /usr/share/common-licenses/GPL for the license.\n";
    assert_eq!(detect(alone).expression.as_deref(), Some("GPL-1.0-or-later"));
    let lesser =
        "The library may be copied.\n\nSee /usr/share/common-licenses/LGPL on Debian systems.\n";
    assert_eq!(detect(lesser).expression.as_deref(), Some("LGPL-2.0-or-later"));
    let after_notice = "This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version.

On Debian systems, the complete text of the GNU General Public License
can be found in /usr/share/common-licenses/GPL.
";
    let found = detect(after_notice);
    assert_eq!(found.expression.as_deref(), Some("GPL-2.0-or-later"), "{found:#?}");
    let versioned = "See /usr/share/common-licenses/GPL-2 for the text.\n";
    assert_eq!(detect(versioned).expression.as_deref(), Some("GPL-2.0-only"));
}

/// A bare "GPL" or "LGPL" without a version, away from any notice, names
/// any version; with a version after it, in a link, or beside a notice it
/// adds nothing.
#[test]
fn bare_gpl_mentions() {
    let prose = "The sources of the tool were released long ago.\nSome of the helper scripts are under the GPL, as their authors wished.\n";
    assert_eq!(detect(prose).expression.as_deref(), Some("GPL-1.0-or-later"));
    let lesser = "The plugin loader was written by many people over the years and is\ndistributed under the LGPL like the rest of the library.\n";
    assert_eq!(detect(lesser).expression.as_deref(), Some("LGPL-2.0-or-later"));
    for nothing in [
        "The helper scripts are under the GPL version 2, as their authors wished.\n",
        "The helper scripts are under GPL-3, as their authors wished.\n",
        "Read it at http://www.gnu.org/licenses/gpl.html when you can.\n",
    ] {
        assert_eq!(detect(nothing).expression, None, "{nothing}");
    }
    let notice = "This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version. The GPL applies to every file.
";
    assert_eq!(detect(notice).expression.as_deref(), Some("GPL-2.0-or-later"));
}

/// A rare variant of a common text matched without most of the words only
/// the variant has is the common text: the BSD-3-Clause wording with "the
/// author" matches BSD-3-Clause-HP (which says "the author" too) better,
/// but lacks HP's patent clause.
#[test]
fn look_alike_variant_without_its_own_words_is_the_common_text() {
    let author = "Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions
are met:

1. Redistributions of source code must retain the copyright
   notice, this list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the copyright
   notice, this list of conditions and the following disclaimer in the
   documentation and/or other materials provided with the distribution.
3. The name of the author may not be used to endorse or promote products
   derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE AUTHOR ``AS IS'' AND ANY EXPRESS OR
IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES
OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED.
IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY DIRECT, INDIRECT,
INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT
NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF
THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
";
    let found = detect(author);
    assert_eq!(found.expression.as_deref(), Some("BSD-3-Clause"), "{found:#?}");
    // The variants' own texts keep their names.
    for id in ["BSD-3-Clause-HP", "BSD-2-Clause-pos-unchanged", "X11-no-permit-persons"] {
        let found = detect(spdx_text(id));
        assert_eq!(found.expression.as_deref(), Some(id), "{id}: {found:#?}");
    }
}

/// A `License:` line between two texts leaves a break: the last words of
/// one field and the first of the next make no n-gram, so the short FSF
/// permission ("... this notice is preserved.") does not grow into its
/// look-alike that goes on "... is preserved. This file is offered as-is"
/// through the next field's "This".
#[test]
fn a_field_line_separates_the_texts_around_it() {
    let text = format!(
        "{DEP5}Files: *\nCopyright: 2020 A\nLicense: FSF-permission\n\nLicense: FSF-permission\n This file is free software; the Free Software Foundation\n gives unlimited permission to copy and/or distribute it,\n with or without modifications, as long as this notice is preserved.\n\nLicense: Example-terms\n This software may be used by anyone who asks for it.\n"
    );
    let found = detect(&text);
    let texts: Vec<&str> = found
        .detections
        .iter()
        .filter(|d| d.start_line >= 6 && d.start_line <= 9)
        .map(|d| d.expression.as_str())
        .collect();
    assert_eq!(texts, ["FSFULLR"], "{found:#?}");
}

/// The FSF's all-permissive notice with the warranty paragraph is
/// FSFULLRWD whoever gives the permission.
#[test]
fn fsf_unlimited_permission_with_warranty_paragraph() {
    let text = "This file is free software; as a special exception the author gives
unlimited permission to copy and/or distribute it, with or without
modifications, as long as this notice is preserved.

This file is distributed in the hope that it will be useful, but
WITHOUT ANY WARRANTY, to the extent permitted by law; without even the
implied warranty of MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.
";
    assert_eq!(detect(text).expression.as_deref(), Some("FSFULLRWD"));
    let without = text.split("\n\n").next().unwrap_or("");
    assert_eq!(detect(without).expression.as_deref(), Some("FSFULLR"));
}

/// The GFDL's "version 1.3 or any later version" notice, and the license
/// named without a version ("the complete text of the GNU Free
/// Documentation License"), which names any version.
#[test]
fn gfdl_notices_and_bare_name() {
    let notice = "Permission is granted to copy, distribute and/or modify this manual
under the terms of the GNU Free Documentation License, Version 1.3 or
any later version published by the Free Software Foundation.
";
    assert_eq!(detect(notice).expression.as_deref(), Some("GFDL-1.3-or-later"));
    let bare = "The manual was written by many hands over many years.\nIts text is covered by the GNU Free Documentation License; ask the authors.\n";
    assert_eq!(detect(bare).expression.as_deref(), Some("GFDL-1.1-or-later"));
}

/// Debian's `License: permissive` is a name of its own; a text under it is
/// reported beside it.
#[test]
fn a_permissive_field_keeps_its_name_beside_its_text() {
    let text = format!(
        "{DEP5}Files: *\nCopyright: 2020 A\nLicense: permissive\n This file is free software; the Free Software Foundation\n gives unlimited permission to copy and/or distribute it,\n with or without modifications, as long as this notice is preserved.\n"
    );
    let found = detect(&text);
    assert_eq!(
        found.expression.as_deref(),
        Some("LicenseRef-permissive AND FSFULLR"),
        "{found:#?}"
    );
}

/// A BSD-2-Clause text with the export sentence of Ian Darwin's `file`,
/// reworded enough to match BSD-2-Clause-Darwin below 90.
const EXPORT_BSD: &str = " This software is not subject to any export provision of the United
 States Department of Commerce.
 .
 Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following conditions
 are met:
 1. Redistributions of source code must retain the above copyright
    notice at the beginning of the file,
    this list of conditions and the following disclaimer.
 2. Redistributions in binary form must reproduce the above copyright
    notice, this list of conditions and the following disclaimer in the
    documentation and/or other materials provided with the distribution.
 .
 THIS SOFTWARE IS PROVIDED BY THE AUTHOR AND CONTRIBUTORS ``AS IS'' AND
 ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 ARE DISCLAIMED.  IN NO EVENT SHALL THE AUTHOR OR CONTRIBUTORS BE LIABLE FOR
 ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS
 OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION)
 HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
 LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY
 OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF
 SUCH DAMAGE.
";

/// A variant name (`BSD-2-Clause-alike`) says the text is like its family's,
/// so a look-alike text under it stands beside the family; the family's own
/// name (`BSD-2-clause`) names the text.
#[test]
fn a_variant_field_name_keeps_the_look_alike_text() {
    let alike =
        format!("{DEP5}Files: *\nCopyright: 2021 A\nLicense: BSD-2-Clause-alike\n{EXPORT_BSD}");
    assert_eq!(
        detect(&alike).expression.as_deref(),
        Some("BSD-2-Clause AND BSD-2-Clause-Darwin"),
        "{:#?}",
        detect(&alike)
    );
    let named = format!("{DEP5}Files: *\nCopyright: 2021 A\nLicense: BSD-2-clause\n{EXPORT_BSD}");
    assert_eq!(detect(&named).expression.as_deref(), Some("BSD-2-Clause"));
}

/// "... are in the public domain" and "is in the public domain" say what
/// "placed in the public domain" says.
#[test]
fn public_domain_statements() {
    for text in [
        "The changes made by the packagers to this file are in the public domain.\n",
        "The table of constants below is in the public domain; use it freely.\n",
    ] {
        assert_eq!(detect(text).expression.as_deref(), Some("LicenseRef-public-domain"), "{text}");
    }
}

/// A `Comment:` field under a license paragraph goes on about it: its
/// common-licenses pointer closes the paragraph's notice; another field
/// (`License:`) starts afresh.
#[test]
fn a_pointer_in_a_comment_closes_the_notice_above() {
    let text = format!(
        "{DEP5}Files: *\nCopyright: 2020 A\nLicense: LGPL-2.1+\n This library is free software; you can redistribute it and/or modify it\n under the terms of the GNU Lesser General Public License as published by\n the Free Software Foundation; either version 2.1 of the License, or\n (at your option) any later version.\nComment:\n On Debian systems, the full text of the GNU Lesser General Public License\n can be found in '/usr/share/common-licenses/LGPL-2.1'.\n"
    );
    let found = detect(&text);
    assert_eq!(found.expression.as_deref(), Some("LGPL-2.1-or-later"), "{found:#?}");
}

/// The Internet Society's permission on RFCs, quoted by packages that
/// implement one, is not on the SPDX list: `LicenseRef-IETF`; a text that
/// only shares its first words is not it.
#[test]
fn the_rfc_copyright_permission_is_ietf() {
    let text = "This document and translations of it may be copied and furnished to
others, and derivative works that comment on or otherwise explain it
or assist in its implementation may be prepared, copied, published
and distributed, in whole or in part, without restriction of any
kind, provided that the above copyright notice and this paragraph
are included on all such copies and derivative works.  However, this
document itself may not be modified in any way, such as by removing
the copyright notice or references to the Internet Society or other
Internet organizations, except as needed for the purpose of
developing Internet standards in which case the procedures for
copyrights defined in the Internet Standards process must be
followed, or as required to translate it into languages other than
English.

The limited permissions granted above are perpetual and will not be
revoked by the Internet Society or its successors or assigns.
";
    assert_eq!(detect(text).expression.as_deref(), Some("LicenseRef-IETF"));
    let other = "This document and translations of it may be copied by members of the
working group only, and may not be published or distributed in any form.
";
    assert_eq!(detect(other).expression, None);
}

/// A known license with an exception name that is no SPDX id (Debian's
/// `Autoconf-data`) takes the SPDX exception whose text is under it, and a
/// bodiless field of the same name elsewhere follows; without a recognised
/// exception text the name stays an `AdditionRef`.
#[test]
fn an_unknown_exception_name_takes_the_exception_text_under_it() {
    let notice = " This program is free software: you can redistribute it and/or modify it
 under the terms of the GNU General Public License as published by the
 Free Software Foundation, either version 3 of the License, or (at your
 option) any later version.
";
    let exception = " .
 As a special exception, the respective Autoconf Macro's copyright owner
 gives unlimited permission to copy, distribute and modify the configure
 scripts that are the output of Autoconf when processing the Macro. You
 need not follow the terms of the GNU General Public License when using
 or distributing such scripts, even though portions of the text of the
 Macro appear in them. The GNU General Public License (GPL) does govern
 all other use of the material that constitutes the Autoconf Macro.
 .
 This special exception to the GPL applies to versions of the Autoconf
 Macro released by the Autoconf Archive. When you make and distribute a
 modified version of the Autoconf Macro, you may extend this special
 exception to the GPL to apply to your modified version as well.
";
    let field = "License: GPL-3+ with Autoconf-data exception\n";
    let head = format!(
        "{DEP5}Files: m4/*\nCopyright: 2020 A\n{field}\nFiles: *\nCopyright: 2020 B\nLicense: MIT\n\n"
    );
    let found = detect(&format!("{head}{field}{notice}{exception}"));
    assert_eq!(
        found.expression.as_deref(),
        Some("GPL-3.0-or-later WITH Autoconf-exception-macro AND MIT"),
        "{found:#?}"
    );
    let found = detect(&format!("{head}{field}{notice}"));
    assert_eq!(
        found.expression.as_deref(),
        Some(
            "GPL-3.0-or-later WITH AdditionRef-Autoconf-data-exception AND MIT AND GPL-3.0-or-later"
        ),
        "{found:#?}"
    );
}

/// Digital Equipment's permission notice (an ISC-style grant, the name kept
/// out of advertising, the HPND disclaimer) is HPND, not the 0BSD its
/// disclaimer alone resembles; 0BSD's and ISC's own texts keep their names.
#[test]
fn the_dec_permission_notice_is_hpnd() {
    let text = "Permission to use, copy, modify, and distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies, and
that the name of Digital Equipment Corporation not be used in
advertising or publicity pertaining to distribution of the document or
software without specific, written prior permission.

THE SOFTWARE IS PROVIDED ``AS IS'' AND DIGITAL EQUIPMENT CORP.
DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS SOFTWARE, INCLUDING ALL
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS.  IN NO EVENT SHALL
DIGITAL EQUIPMENT CORPORATION BE LIABLE FOR ANY SPECIAL, DIRECT,
INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING
FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT,
NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION
WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
";
    assert_eq!(detect(text).expression.as_deref(), Some("HPND"));
    for id in ["0BSD", "ISC"] {
        assert_eq!(detect(spdx_text(id)).expression.as_deref(), Some(id), "{id}");
    }
}

/// A text match does not run across a skipped `License:` line: the last
/// lines of a DEP-5 `Copyright:` field (fonts-dejavu's trademark line and
/// "DejaVu changes are in public domain") are not the start of the text
/// under the field, so the statement among them stands on its own.
#[test]
fn a_text_does_not_run_across_a_license_field_line() {
    let body: String = spdx_text("Bitstream-Vera")
        .split_once("\n\n")
        .map_or("", |(_, rest)| rest)
        .lines()
        .map(|line| if line.is_empty() { " .\n".to_owned() } else { format!(" {line}\n") })
        .collect();
    let head = "Files: *\nCopyright: Copyright (c) 2003 by Bitstream, Inc. All Rights Reserved.\n Bitstream Vera is a trademark of Bitstream, Inc.\n";
    let with_statement = format!(
        "{DEP5}{head} DejaVu changes are in public domain.\nLicense: bitstream-vera\n{body}"
    );
    let found = detect(&with_statement);
    assert_eq!(
        found.expression.as_deref(),
        Some("LicenseRef-public-domain AND Bitstream-Vera"),
        "{found:#?}"
    );
    let without = format!("{DEP5}{head}License: bitstream-vera\n{body}");
    assert_eq!(detect(&without).expression.as_deref(), Some("Bitstream-Vera"));
}

/// Short permissive grants no SPDX text matches are `LicenseRef-permissive`:
/// Jens-Uwe Mager's terms in Tcl and "May be used and distributed freely for
/// any purpose" (dpkg's start-stop-daemon, beside its public-domain line).
/// A grant limited to some uses is no such grant.
#[test]
fn short_permissive_grants_are_licenseref_permissive() {
    let mager = " *  Copyright (c) 1992,1993,1995,1996, Jens-Uwe Mager, Helios Software GmbH
 *  Not derived from licensed software.
 *
 *  Permission is granted to freely use, copy, modify, and redistribute
 *  this software, provided that the author is not construed to be liable
 *  for any results of using the software, alterations are clearly marked
 *  as such, and this notice is not modified.
";
    let found = detect(mager);
    assert_eq!(found.expression.as_deref(), Some("LicenseRef-permissive"), "{found:#?}");
    let ssd = "Written by Marek Michalkiewicz, public domain.  Based conceptually on
start-stop-daemon.pl, by Ian Jackson.  May be used and distributed
freely for any purpose.  Changes by Christian Schwarz, also placed in
the public domain.
";
    let found = detect(ssd);
    assert_eq!(
        found.expression.as_deref(),
        Some("LicenseRef-permissive AND LicenseRef-public-domain"),
        "{found:#?}"
    );
    for limited in [
        "This program may be used and distributed only for non-commercial purposes.\n",
        "Permission is granted to use and copy this software for evaluation only;\nit may not be redistributed.\n",
    ] {
        let found = detect(limited);
        assert_eq!(found.expression, None, "{limited}: {found:#?}");
    }
}

/// A versioned SPDX id written as such after "licensed under" names that
/// license ("Note: atudel is licensed under BSD-4-Clause", in shadow's
/// copyright file). Words that only look like an id (Debian's `LGPL-2.1+`,
/// deprecated `GPL-2.0`) and unversioned ids that are also words ("the
/// Unlicense") are not read so.
#[test]
fn a_versioned_spdx_id_in_prose_names_the_license() {
    let found =
        detect("Note: atudel is licensed under BSD-4-Clause which is not DFSG compatible\n");
    assert_eq!(found.expression.as_deref(), Some("BSD-4-Clause"), "{found:#?}");
    let found = detect("The code by Jane Doe is released under the MPL-2.0.\n");
    assert_eq!(found.expression.as_deref(), Some("MPL-2.0"), "{found:#?}");
    for not_an_id in [
        "The code copyrighted by Damian Ivereigh is licensed under LGPL-2.1+.\n",
        "These files are licensed under GPL-2.0, see below.\n",
        "This file is licensed under BSD-4-clause-ish terms.\n",
    ] {
        let found = detect(not_an_id);
        assert_eq!(found.expression, None, "{not_an_id}: {found:#?}");
    }
    let found = detect("This project is dual-licensed under the Unlicense and MIT licenses.\n");
    assert_eq!(found.expression.as_deref(), Some("Unlicense OR MIT"), "{found:#?}");
}

/// The Alliance for Open Media Patent License, not on the SPDX list, is
/// named by its title (the heading of its text in libaom and rav1e); the
/// Alliance's name alone, or another version, is not that license.
#[test]
fn the_aom_patent_license_is_named_by_its_title() {
    let text = "Alliance for Open Media Patent License 1.0

1. License Terms.

1.1. Patent License. Subject to the terms and conditions of this License, each
     Licensor, on behalf of itself and successors in interest and assigns,
     grants Licensee a non-sublicensable, perpetual, worldwide, non-exclusive,
     no-charge, royalty-free, irrevocable (except as expressly stated in this
     License) patent license to its Necessary Claims to make, use, sell, offer
     for sale, import or distribute any Implementation.
";
    let found = detect(text);
    assert_eq!(
        found.expression.as_deref(),
        Some("LicenseRef-alliance-open-media-patent-1.0"),
        "{found:#?}"
    );
    for other in [
        "Copyright 2016, Alliance for Open Media. All rights reserved.\n",
        "Alliance for Open Media Patent License 2.0\n",
    ] {
        let found = detect(other);
        assert_eq!(found.expression, None, "{other}: {found:#?}");
    }
}

/// An unknown short name inside a compound DEP-5 field (`EPL-2.0 or
/// EDL-1.0`) stands for the text of its own `License:` paragraph when that
/// text is recognised, as a bodiless field of the name alone does; with an
/// unrecognised text the `LicenseRef-` stays.
#[test]
fn an_unknown_name_in_a_compound_field_takes_its_paragraphs_text() {
    let body: String = spdx_text("BSD-3-Clause")
        .lines()
        .map(|line| if line.trim().is_empty() { " .\n".to_owned() } else { format!(" {line}\n") })
        .collect();
    let text = format!(
        "{DEP5}Files: *\nCopyright: 2020 Eclipse contributors\nLicense: EPL-2.0 or EDL-1.0\n\nLicense: EDL-1.0\n{body}"
    );
    let found = detect(&text);
    let fields: Vec<&str> = found
        .detections
        .iter()
        .filter(|d| d.kind == vigil_license::DetectionKind::Dep5Field)
        .map(|d| d.expression.as_str())
        .collect();
    assert!(fields.contains(&"EPL-2.0 OR BSD-3-Clause"), "{found:#?}");
    assert!(!found.expression.as_deref().unwrap_or("").contains("LicenseRef"), "{found:#?}");
    let unknown = format!(
        "{DEP5}Files: *\nCopyright: 2020 Someone\nLicense: EPL-2.0 or Foo-1\n\nLicense: Foo-1\n You may look at this file on Tuesdays.\n"
    );
    let found = detect(&unknown);
    assert!(found.expression.as_deref().unwrap_or("").contains("LicenseRef-Foo-1"), "{found:#?}");
}

/// "100% Public Domain" (Steve Reid's SHA-1 code and its copies) is a
/// public-domain statement, also under a DEP-5 name that is no SPDX id;
/// "public domain" in passing is not.
#[test]
fn one_hundred_percent_public_domain() {
    let found = detect("SHA-1 in C\nBy Steve Reid <steve@edmweb.com>\n100% Public Domain\n");
    assert_eq!(found.expression.as_deref(), Some("LicenseRef-public-domain"), "{found:#?}");
    let field = format!(
        "{DEP5}Files: src/sha1.c\nCopyright:\n Steve Reid <steve@edmweb.com>\nLicense: public-domain-sha1\n 100% Public Domain\n"
    );
    let found = detect(&field);
    assert_eq!(found.expression.as_deref(), Some("LicenseRef-public-domain"), "{found:#?}");
    let found = detect("The test vectors come from a public domain collection of 100 samples.\n");
    assert_eq!(found.expression, None, "{found:#?}");
}

/// FSFUL's two lines (the list's text adds the FSF's copyright line, a
/// third of its words) are `FSFUL`, also under a DEP-5 name that is no SPDX id; FSFULLR's
/// "copy and/or distribute it ... as long as this notice is preserved" is not.
#[test]
fn the_fsful_text_is_fsful() {
    let fsful = "This configure script is free software; the Free Software Foundation
gives unlimited permission to copy, distribute and modify it.
";
    assert_eq!(detect(fsful).expression.as_deref(), Some("FSFUL"));
    let field = format!(
        "{DEP5}Files: configure\nCopyright: 1992-2012 Free Software Foundation, Inc.\nLicense: configure\n{}",
        fsful.lines().map(|line| format!(" {line}\n")).collect::<String>()
    );
    let found = detect(&field);
    assert_eq!(found.expression.as_deref(), Some("FSFUL"), "{found:#?}");
    let fsfullr = "This file is free software; the Free Software Foundation
gives unlimited permission to copy and/or distribute it,
with or without modifications, as long as this notice is preserved.
";
    let found = detect(fsfullr);
    assert_eq!(found.expression.as_deref(), Some("FSFULLR"), "{found:#?}");
}

/// Cornell-Lossless-JPEG is the PostgreSQL grant with Cornell's name: the
/// PostgreSQL wording under another holder ("without a written agreement",
/// "INCLUDING LOST PROFITS", "NO OBLIGATIONS"; rsync's and postgresql's
/// copies) is `PostgreSQL`, an "All rights reserved" line before it
/// notwithstanding; Cornell's own text keeps its name.
#[test]
fn the_postgresql_grant_under_another_name_is_postgresql() {
    let grant = spdx_text("PostgreSQL");
    let grant = grant.get(grant.find("Permission").unwrap_or(0)..).unwrap_or("");
    let author = format!(
        "Copyright (c) 2001 Jane Doe. All rights reserved.\n\n{}",
        grant.replace("THE UNIVERSITY OF CALIFORNIA", "THE AUTHOR")
    );
    let found = detect(&author);
    assert_eq!(found.expression.as_deref(), Some("PostgreSQL"), "{found:#?}");
    let found = detect(spdx_text("Cornell-Lossless-JPEG"));
    assert_eq!(found.expression.as_deref(), Some("Cornell-Lossless-JPEG"), "{found:#?}");
}

/// More short permissive grants no SPDX text matches are
/// `LicenseRef-permissive`: Philip Warner's pg_dump terms and the X0213
/// tables' line (postgresql), the old GLib and GTK tests' "redistribution
/// and modification ... is permitted without restriction", and C E Chew's
/// "Feel free to copy, use and distribute" (glibc). Under a DEP-5 name that
/// is no SPDX id the name takes the text's id. Grants for some uses only,
/// or asking for permission, are not such grants.
#[test]
fn more_short_permissive_grants_are_licenseref_permissive() {
    for grant in [
        "Rights are granted to use this software in any way so long as this notice is\nnot removed.  The author is not responsible for loss or damages that may\nresult from its use.\n",
        "You can use, modify, distribute this table freely.\n",
        "This work is provided \"as is\"; redistribution and modification\nin whole or in part, in any medium, physical or electronic is\npermitted without restriction.\n",
        "Feel free to copy, use and distribute this software provided:\n\n     1. you do not pretend that you wrote it\n     2. you leave this copyright notice intact.\n",
    ] {
        let found = detect(grant);
        assert_eq!(
            found.expression.as_deref(),
            Some("LicenseRef-permissive"),
            "{grant}: {found:#?}"
        );
    }
    let field = format!(
        "{DEP5}Files: src/bin/pg_dump/*\nCopyright: 2000 Jane Doe\nLicense: Custom-pg_dump\n Rights are granted to use this software in any way so long as this notice is\n not removed.\n"
    );
    let found = detect(&field);
    assert_eq!(found.expression.as_deref(), Some("LicenseRef-permissive"), "{found:#?}");
    for limited in [
        "Rights are granted to use this software for research only.\n",
        "You can use this table for non-commercial purposes; do not distribute it.\n",
        "Redistribution and modification of this work require written permission.\n",
        "Feel free to ask before you copy, use or distribute this software.\n",
    ] {
        let found = detect(limited);
        assert_eq!(found.expression, None, "{limited}: {found:#?}");
    }
}

/// Perl's notice offering "either a) the GNU General Public License ...
/// version 1, or (at your option) any later version, or b) the Artistic
/// License which comes with Perl" in one paragraph is one choice:
/// `Artistic-1.0-Perl OR GPL-1.0-or-later`. Either license alone is not.
#[test]
fn perls_either_notice_is_an_or() {
    let either = "This program is free software; you can redistribute it and/or modify
it under the terms of either:

   a) the GNU General Public License as published by the Free Software
      Foundation; either version 1, or (at your option) any later
      version, or

   b) the \"Artistic License\" which comes with Perl.
";
    let found = detect(either);
    assert_eq!(
        found.expression.as_deref(),
        Some("Artistic-1.0-Perl OR GPL-1.0-or-later"),
        "{found:#?}"
    );
    let gpl = "This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by the Free
Software Foundation; either version 1, or (at your option) any later version.
";
    let found = detect(gpl);
    assert_eq!(found.expression.as_deref(), Some("GPL-1.0-or-later"), "{found:#?}");
    let artistic = "This program is free software; you can redistribute it and/or modify
it under the terms of the Artistic License, which comes with Perl.
";
    let found = detect(artistic);
    assert!(!found.expression.as_deref().unwrap_or("").contains(" OR "), "{found:#?}");
}

/// The GNU "either the Lesser GPL version 3 or later, or the GPL version 2
/// or later, or both in parallel" notice (GMP, nettle, GnuTLS, elfutils)
/// offers a choice: `LGPL-3.0-or-later OR GPL-2.0-or-later`. The Lesser GPL
/// paragraph alone is that license alone.
#[test]
fn the_gnu_either_lgpl3_or_gpl2_notice_is_an_or() {
    let either = "The GNU MP Library is free software; you can redistribute it and/or modify
it under the terms of either:

  * the GNU Lesser General Public License as published by the Free
    Software Foundation; either version 3 of the License, or (at your
    option) any later version.

or

  * the GNU General Public License as published by the Free Software
    Foundation; either version 2 of the License, or (at your option) any
    later version.

or both in parallel, as here.
";
    let found = detect(either);
    assert_eq!(
        found.expression.as_deref(),
        Some("LGPL-3.0-or-later OR GPL-2.0-or-later"),
        "{found:#?}"
    );
    let lgpl = "This library is free software; you can redistribute it and/or modify
it under the terms of the GNU Lesser General Public License as published by the
Free Software Foundation; either version 3 of the License, or (at your option)
any later version.
";
    let found = detect(lgpl);
    assert_eq!(found.expression.as_deref(), Some("LGPL-3.0-or-later"), "{found:#?}");
}

/// Andy Polyakov's CRYPTOGAMS terms, BSD-3-Clause "ALTERNATIVELY ... under
/// the terms of the GNU General Public License (GPL)", are a choice of
/// `BSD-3-Clause OR GPL-1.0-or-later` (whoever the name clause names), not
/// the two-clause `BSD-Source-alt-GPL`; without the GPL paragraph the text
/// is BSD-3-Clause, and the SPDX `BSD-Source-alt-GPL` text keeps its name.
#[test]
fn the_cryptogams_terms_are_bsd3_or_gpl() {
    let head = "Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions
are met:

   * Redistributions of source code must retain copyright notices,
     this list of conditions and the following disclaimer.

   * Redistributions in binary form must reproduce the above
     copyright notice, this list of conditions and the following
     disclaimer in the documentation and/or other materials
     provided with the distribution.

   * Neither the name of the Andy Polyakov nor the names of its
     copyright holder and contributors may be used to endorse or
     promote products derived from this software without specific
     prior written permission.
";
    let alternatively = "
ALTERNATIVELY, provided that this notice is retained in full, this
product may be distributed under the terms of the GNU General Public
License (GPL), in which case the provisions of the GPL apply INSTEAD OF
those given above.
";
    let tail = "
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDER AND CONTRIBUTORS
\"AS IS\" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
";
    let found = detect(&format!("{head}{alternatively}{tail}"));
    assert_eq!(found.expression.as_deref(), Some("BSD-3-Clause OR GPL-1.0-or-later"), "{found:#?}");
    let found = detect(&format!("{head}{tail}"));
    assert_eq!(found.expression.as_deref(), Some("BSD-3-Clause"), "{found:#?}");
    let found = detect(spdx_text("BSD-Source-alt-GPL"));
    assert_eq!(found.expression.as_deref(), Some("BSD-Source-alt-GPL"), "{found:#?}");
}

/// A notice offering a choice is closed by the `/usr/share/common-licenses/`
/// pointers to each of its licenses (elfutils: the LGPL-3+ or GPL-2+ notice,
/// then GPL-2 and LGPL-3); a pointer to a license the notice does not name
/// stays.
#[test]
fn pointers_close_a_notice_offering_a_choice() {
    let notice = "This file is free software; you can redistribute it and/or modify
it under the terms of either

  * the GNU Lesser General Public License as published by the Free
    Software Foundation; either version 3 of the License, or (at
    your option) any later version

or

  * the GNU General Public License as published by the Free
    Software Foundation; either version 2 of the License, or (at
    your option) any later version

or both in parallel, as here.
";
    let both = format!(
        "{notice}\nOn Debian systems, the complete text of the GNU General Public License version 2\ncan be found in `/usr/share/common-licenses/GPL-2' and the complete text of the\nGNU Lesser General Public License version 3 in `/usr/share/common-licenses/LGPL-3'.\n"
    );
    let found = detect(&both);
    assert_eq!(
        found.expression.as_deref(),
        Some("LGPL-3.0-or-later OR GPL-2.0-or-later"),
        "{found:#?}"
    );
    let other = format!(
        "{notice}\nOn Debian systems, the complete text of the Apache License 2.0\ncan be found in `/usr/share/common-licenses/Apache-2.0'.\n"
    );
    let found = detect(&other);
    assert_eq!(
        found.expression.as_deref(),
        Some("(LGPL-3.0-or-later OR GPL-2.0-or-later) AND Apache-2.0"),
        "{found:#?}"
    );
}

/// "the GNU Lesser General Public License as published by the Free Software
/// Foundation, version 3 of the License" is `LGPL-3.0-only`, not the GPL
/// notice of the same words without "Lesser"; the GPL wording stays GPL.
#[test]
fn lesser_gpl_version_3_as_published_is_lgpl3_only() {
    let lgpl = "lazr.uri is free software: you can redistribute it and/or modify it
under the terms of the GNU Lesser General Public License as published by
the Free Software Foundation, version 3 of the License.
";
    let found = detect(lgpl);
    assert_eq!(found.expression.as_deref(), Some("LGPL-3.0-only"), "{found:#?}");
    let gpl = "This program is free software: you can redistribute it and/or modify it
under the terms of the GNU General Public License as published by
the Free Software Foundation, version 3 of the License.
";
    let found = detect(gpl);
    assert_eq!(found.expression.as_deref(), Some("GPL-3.0-only"), "{found:#?}");
}

/// "licensed under Apache License v. 2.0" (the Google Cloud CLI's
/// copyright file) names Apache-2.0; "Apache License v. 1.1" does not.
#[test]
fn apache_license_v_2_0() {
    let found = detect(
        "The Foo CLI and its source code are licensed under Apache\nLicense v. 2.0 (the \"License\"), unless otherwise specified.\n",
    );
    assert_eq!(found.expression.as_deref(), Some("Apache-2.0"), "{found:#?}");
    let found = detect("The Foo tool is licensed under Apache License v. 1.1.\n");
    assert_ne!(found.expression.as_deref(), Some("Apache-2.0"), "{found:#?}");
}

/// A free-form license inventory (libxcrypt's copyright file: "Copyright
/// holder; licence: files") names each license by its shorthand.
#[test]
fn a_license_inventory_names_its_licenses() {
    let inventory = "The overall license for libfoo is the GNU Lesser General Public
License, version 2.1 (or, at your option, any later version).

 * Copyright A. Author; LGPL (v2.1 or later):
   foo.c, foo.h

 * Copyright B. Author et al.; 3-clause BSD:
   des.c

 * Copyright C. Author; 2-clause BSD:
   sha512.c

 * Copyright D. Author; 0-clause BSD:
   scrypt.c

 * Public domain, written by E. Author et al.:
   md5.c

 * Copyright F. Author; GPL (v3 or later), with Autoconf exception:
   m4/a.m4

 * Copyright G. Author; GPL (v2 or later), with Autoconf exception:
   m4/b.m4

 * Copyright H. Author; FSF All Permissive License:
   m4/c.m4
";
    let found = detect(inventory);
    assert_eq!(
        found.expression.as_deref(),
        Some(
            "LGPL-2.1-or-later AND BSD-3-Clause AND BSD-2-Clause AND 0BSD AND LicenseRef-public-domain \
             AND GPL-3.0-or-later WITH Autoconf-exception-3.0 \
             AND GPL-2.0-or-later WITH Autoconf-exception-generic AND FSFAP"
        ),
        "{found:#?}"
    );
    // The same words without the license: a clause count is no BSD, a
    // domain name no dedication, and a GPL without "Autoconf" has no
    // exception (the bare shorthand is not read at all).
    let found = detect(
        "The 3 clauses below apply to BSD builds.\nThe public domain name, written by hand.\n",
    );
    assert_eq!(found.expression, None, "{found:#?}");
    let found = detect("Copyright A. Author; GPL (v3 or later):\n   m4/a.m4\n");
    assert_eq!(found.expression, None, "{found:#?}");
}

/// The GNU gettext manual's "dually licensed under the GNU FDL and the GNU
/// GPL" paragraph, with each license's "or any later version" wording, is a
/// choice of the two; either paragraph alone is its own license.
#[test]
fn the_gettext_manuals_fdl_or_gpl_terms_are_an_or() {
    let fdl = "   This manual is covered by the GNU FDL.  Permission is granted to
copy, distribute and/or modify this document under the terms of the GNU
Free Documentation License (FDL), either version 1.2 of the License, or
(at your option) any later version published by the Free Software
Foundation (FSF); with no Invariant Sections, with no Front-Cover Text,
and with no Back-Cover Texts.
";
    let gpl = "   This manual is covered by the GNU GPL.  You can redistribute it
and/or modify it under the terms of the GNU General Public License
(GPL), either version 2 of the License, or (at your option) any later
version published by the Free Software Foundation (FSF).
";
    let both = format!(
        "   This manual is free documentation.  It is dually licensed under the
GNU FDL and the GNU GPL.  This means that you can redistribute this
manual under either of these two licenses, at your choice.

{fdl}
{gpl}"
    );
    let found = detect(&both);
    assert_eq!(
        found.expression.as_deref(),
        Some("GFDL-1.2-or-later OR GPL-2.0-or-later"),
        "{found:#?}"
    );
    let found = detect(fdl);
    assert!(!found.expression.as_deref().unwrap_or("").contains(" OR "), "{found:#?}");
    assert!(!found.expression.as_deref().unwrap_or("").contains("GPL-2.0"), "{found:#?}");
}
