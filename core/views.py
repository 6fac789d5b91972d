from django.shortcuts import render


def home(request):
    """Logged-in users see their home page (tasks, initiatives, notices by role); others see a
    short landing with a login link."""
    if request.user.is_authenticated:
        from workflows.web.home import dashboard  # core sits below workflows

        return dashboard(request)
    return render(request, "core/home.html")
