#!/bin/sh
# The README's pictures of documents, made from a build of this repository's project:
#   npm run build && sh scripts/pictures.sh
# Needs pdftoppm (Debian: poppler-utils). docs/preview.png is a screenshot of `citybrief preview`.
set -e
cd "$(dirname "$0")/.."
page() { # output, page, resolution (dpi), picture
  pdftoppm -f "$2" -l "$2" -r "$3" -png -singlefile "out/$1.pdf" "docs/$4"
}
page shenzhen/briefing 1 70 briefing-shenzhen-1
page ningbo/briefing 2 70 briefing-ningbo-2
page wuhan/slides 2 45 slides-wuhan-2
page ningbo/slides 3 45 slides-ningbo-3
page overview 3 70 overview-3
