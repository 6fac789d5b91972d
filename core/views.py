from django.shortcuts import redirect, render


def home(request):
    """Logged-in users start at their tasks; others see a short landing with a login link."""
    if request.user.is_authenticated:
        return redirect("workflows:task-list")
    return render(request, "core/home.html")
