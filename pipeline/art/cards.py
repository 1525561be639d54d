"""The post's wide cover image and its 1200x630 social card (the Open Graph ``image``).

Both put the title first, large enough to read as a thumbnail, with the version in an accent
badge, the brand top-left, and the rings motif on the right.
"""

from __future__ import annotations

from PIL import Image

from ..structure import ReleaseFacts, Story
from .line import draw_line
from .paint import backdrop, cap_middle, circle, dot_grid, pill, readable_on, with_alpha
from .parts import accent_bar, brand_chip, rings, underline
from .style import Style
from .text import draw_block, fit_text

COVER_SIZE = (1600, 900)
SOCIAL_CARD_SIZE = (1200, 630)


def _base(style: Style, size: tuple[int, int], glows: tuple[tuple[float, float, float, float],
                                                               ...]) -> Image.Image:
    return backdrop(size, style.bg, style.accent, style.muted, glows).copy()


def _date(facts: ReleaseFacts) -> str:
    return facts.date.strftime("%Y-%m-%d")  # ISO: reads the same in every language


def render_social_card(facts: ReleaseFacts, story: Story, style: Style) -> Image.Image:
    width, height = SOCIAL_CARD_SIZE
    margin = 64
    image = _base(style, SOCIAL_CARD_SIZE, ((0.95, 0.05, 0.55, 0.30), (0.0, 0.5, 0.45, 0.10)))
    rings(image, (width - 40, height - 10), (170, 250, 330, 410), style.accent, 3, 0.35)
    accent_bar(image, style, 0, 0, 12, height)

    badge_colour = readable_on(style.accent, style.bg, style.fg)
    badge = pill(image, facts.tag, style.bold, 30, width - margin, 54, fill=style.accent,
                 text_colour=badge_colour, max_width=width // 2 - margin, anchor="right")
    brand_chip(image, style, margin, 52, 60, badge[0] - 40 - margin)

    column = width - 2 * margin
    repo = fit_text(facts.repository.full_name, style.bold, column, 50, max_size=34,
                    min_size=20, max_lines=1)
    draw_block(image, repo, margin, 160, column, fill=style.accent, align="start")
    title = fit_text(story.title or facts.title, style.heavy, column - 120, 290, max_size=84,
                     min_size=40, max_lines=3, line_spacing=1.12)
    area = draw_block(image, title, margin, 222, column - 120, fill=style.fg, align="start")
    underline(image, style, title, area, 22, 96, 8)

    size = 26
    draw_line(image, _date(facts), style.regular, size, margin + 2,
              height - 52 + cap_middle(style.regular, size), style.muted)
    return image


def render_cover(facts: ReleaseFacts, story: Story, style: Style) -> Image.Image:
    width, height = COVER_SIZE
    margin = 96
    image = _base(style, COVER_SIZE, ((0.78, 0.18, 0.55, 0.32), (0.05, 0.62, 0.4, 0.10)))
    centre = (width - 330, height / 2)
    rings(image, centre, (250, 330, 410, 490), style.accent, 3, 0.4)
    dot_grid(image, (width - 250, 40, width - 40, 120), 26, 3, with_alpha(style.muted, 0.25))

    # The release badge: the version, large, in a disc on the rings.
    circle(image, centre, 190, style.accent)
    circle(image, centre, 170, style.bg, alpha=0.18, stroke=4)
    ink = readable_on(style.accent, style.bg, style.fg)
    tag = fit_text(facts.tag, style.heavy, 300, 200, max_size=92, min_size=28, max_lines=2,
                   line_spacing=1.05)
    draw_block(image, tag, centre[0] - 150, centre[1] - tag.height / 2, 300, fill=ink,
               align="center")

    column = width - margin - 620
    brand_chip(image, style, margin, 84, 64, column)
    repo = fit_text(facts.repository.full_name, style.bold, column, 56, max_size=38,
                    min_size=22, max_lines=1)
    draw_block(image, repo, margin, 210, column, fill=style.accent, align="start")
    title = fit_text(story.title or facts.title, style.heavy, column, 330, max_size=96,
                     min_size=44, max_lines=3, line_spacing=1.1)
    area = draw_block(image, title, margin, 272, column, fill=style.fg, align="start")
    underline(image, style, title, area, 26, 110, 9)
    summary_top = area[3] + 70
    if story.summary and summary_top < height - 170:
        summary = fit_text(story.summary, style.regular, column,
                           height - 150 - summary_top, max_size=34, min_size=22, max_lines=3,
                           line_spacing=1.35)
        draw_block(image, summary, margin, summary_top, column, fill=style.muted, align="start")
    size = 28
    draw_line(image, _date(facts), style.regular, size, margin + 2,
              height - 84 + cap_middle(style.regular, size), style.muted)
    return image
