from django.shortcuts import get_object_or_404, render

from assets.models import Asset, Trial


def asset_list(request):
    return render(request, "assets/asset_list.html", {"assets": Asset.objects.select_related("sponsor")})


def asset_detail(request, slug):
    return render(request, "assets/asset_detail.html", {"asset": get_object_or_404(Asset, slug=slug)})


def trial_list(request):
    return render(request, "assets/trial_list.html", {"trials": Trial.objects.all()})


def trial_detail(request, slug):
    return render(request, "assets/trial_detail.html", {"trial": get_object_or_404(Trial, slug=slug)})
