def console(request):
    """The acting staff member and the villages they can switch to, for the console layout."""
    staff = getattr(request, "staff", None)
    if not request.user.is_authenticated:
        return {}
    from balai.villages.models import Village

    return {
        "staff": staff,
        "my_villages": Village.objects.for_user(request.user).only("slug", "name", "kind"),
    }
