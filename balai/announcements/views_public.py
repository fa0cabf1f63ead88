"""The village's news on its public pages: the list, one post (with the picture, the PDF and
the social-media card as its link-preview image), no login, no JavaScript."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control

from balai.announcements import cards, content
from balai.announcements.models import Announcement
from balai.public import links
from balai.villages.access import public_village

PAGE_SIZE = 15


def latest_posts(village, n: int = 3) -> list[Announcement]:
    """The newest public posts, for the village's home page."""
    return list(
        Announcement.objects.public()
        .filter(village=village)
        .select_related("topic")
        .order_by("-published_at", "-pk")[:n]
    )


def page(request, village, template, context):
    # Imported here: balai.public.views imports latest_posts from this module.
    from balai.public.views import page as public_page

    return public_page(request, village, template, context)


def _public(village):
    return Announcement.objects.public().filter(village=village).select_related("topic")


def _post(village, code) -> Announcement:
    post = _public(village).filter(code=code).first()
    if post is None:
        raise Http404
    return post


def news_list(request, slug):
    village = public_village(slug)
    posts = Paginator(_public(village).order_by("-published_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("hal")
    )
    return page(
        request,
        village,
        "announcements/public_list.html",
        {"posts": posts, "subscribe_link": links.wa_link(village, "LANGGANAN")},
    )


def post(request, slug, code):
    village = public_village(slug)
    item = _post(village, code)
    return page(
        request,
        village,
        "announcements/public_post.html",
        {
            "post": item,
            "card_url": content.card_url(item),
            "og_image": content.card_url(item),
            "subscribe_link": links.wa_link(village, f"LANGGANAN {item.topic.slug.upper()}"),
        },
    )


@cache_control(public=True, max_age=3600)
def image(request, slug, code):
    item = _post(public_village(slug), code)
    if not item.image:
        raise Http404
    with item.image.open("rb") as f:
        return HttpResponse(f.read(), content_type="image/jpeg")


@cache_control(public=True, max_age=3600)
def attachment(request, slug, code):
    item = _post(public_village(slug), code)
    if not item.attachment:
        raise Http404
    with item.attachment.open("rb") as f:
        response = HttpResponse(f.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item.attachment_name or "lampiran.pdf"}"'
    return response


@cache_control(public=True, max_age=3600)
def card(request, slug, code):
    item = _post(public_village(slug), code)
    return HttpResponse(cards.render_card(item), content_type="image/png")
