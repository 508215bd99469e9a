#!/usr/bin/env bash
# Copies the front-end packages installed by `npm ci` into static/vendor/ (git-ignored), so
# pages never load anything from a CDN at run time. Source maps come along because the
# manifest static storage resolves the sourceMappingURL comments.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules
dst=static/vendor
rm -rf "$dst"
mkdir -p "$dst/bootstrap/css" "$dst/bootstrap/js" "$dst/htmx" "$dst/chartjs" \
         "$dst/vazirmatn/fonts/webfonts" "$dst/vazirmatn/fonts/ttf"
cp $src/bootstrap/dist/css/bootstrap.rtl.min.css $src/bootstrap/dist/css/bootstrap.rtl.min.css.map "$dst/bootstrap/css/"
cp $src/bootstrap/dist/js/bootstrap.bundle.min.js $src/bootstrap/dist/js/bootstrap.bundle.min.js.map "$dst/bootstrap/js/"
cp $src/htmx.org/dist/htmx.min.js "$dst/htmx/"
cp $src/chart.js/dist/chart.umd.min.js "$dst/chartjs/"
[ -f $src/chart.js/dist/chart.umd.min.js.map ] && cp $src/chart.js/dist/chart.umd.min.js.map "$dst/chartjs/"
cp $src/vazirmatn/Vazirmatn-font-face.css $src/vazirmatn/OFL.txt "$dst/vazirmatn/"
cp $src/vazirmatn/fonts/webfonts/*.woff2 "$dst/vazirmatn/fonts/webfonts/"
cp $src/vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf $src/vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf \
   $src/vazirmatn/fonts/ttf/Vazirmatn-Medium.ttf "$dst/vazirmatn/fonts/ttf/"
echo "front-end assets copied into $dst"
