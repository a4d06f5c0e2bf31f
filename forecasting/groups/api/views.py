"""Question-group endpoints: list, detail (members with their crowd), generate from a trial, publish, enter the
group's readout and confirm its proposals (staff). Thin views over forecasting.groups services and selectors."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.errors import ValidationError
from assets.models import Trial
from forecasting.api.permissions import IsResolver, IsStaffOrReadOnly
from forecasting.groups import selectors, services
from forecasting.groups.api import serializers as s
from forecasting.groups.models import QuestionGroup

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field and what is allowed."),
    403: OpenApiResponse(description="Only admins may do this."),
    404: OpenApiResponse(description="No such group."),
    409: OpenApiResponse(description="Not allowed in the group's current state."),
}
TAGS = ["question groups"]


def _group(request, pk) -> QuestionGroup:
    group = get_object_or_404(QuestionGroup.objects.select_related("trial"), pk=pk)
    if group.status == QuestionGroup.Status.DRAFT and not request.user.is_staff:
        raise NotFound("No such group.")
    return group


def _detail(group) -> dict:
    return {"group": group, "members": selectors.group_member_rows(group=group)}


class GroupListView(GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = s.GroupSerializer
    filter_backends = []

    @extend_schema(summary="Question groups (drafts for admins)", tags=TAGS, responses={200: s.GroupSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.group_list(include_drafts=request.user.is_staff))
        return self.get_paginated_response(s.GroupSerializer(page, many=True).data)


class GroupDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="A group and every member's community forecast", tags=TAGS,
                   responses={200: s.GroupDetailSerializer, 404: ERRORS[404]})
    def get(self, request, pk):
        return Response(s.GroupDetailSerializer(_detail(_group(request, pk))).data)


class GroupGenerateView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(summary="Generate a trial's standard readout questions as a draft group (admins)", tags=TAGS,
                   request=s.GenerateInSerializer, responses={201: s.GenerateOutSerializer, **ERRORS})
    def post(self, request):
        data = s.GenerateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        trial = Trial.objects.filter(pk=values.pop("trial")).first()
        if trial is None:
            raise ValidationError("trial: no trial with this id.", field="trial")
        result = services.group_generate(trial=trial, created_by=request.user, **values)
        body = {**_detail(result.group), "skipped": [{"template": t, "reason": r} for t, r in result.skipped]}
        return Response(s.GenerateOutSerializer(body).data, status=status.HTTP_201_CREATED)


class GroupPublishView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(summary="Publish the group and open every member together (admins)", tags=TAGS, request=None,
                   responses={200: s.GroupDetailSerializer, **ERRORS})
    def post(self, request, pk):
        group = services.group_publish(group=_group(request, pk), actor=request.user)
        return Response(s.GroupDetailSerializer(_detail(group)).data)


class GroupReadoutView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(summary="Enter the trial's readout: proposes resolutions for the whole group (admins)", tags=TAGS,
                   request=s.GroupReadoutInSerializer, responses={201: s.GroupReadoutOutSerializer, **ERRORS})
    def post(self, request, pk):
        group = _group(request, pk)
        data = s.GroupReadoutInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        readouts = services.group_readout_enter(
            group=group, source=v["source"], known_at=v["known_at"], url=v.get("url", ""),
            results=[dict(item) for item in v["results"]], created_by=request.user,
        )
        proposals = services.group_pending_proposals(group)
        return Response(s.GroupReadoutOutSerializer({"readouts": [r.pk for r in readouts], "proposals": proposals}).data,
                        status=status.HTTP_201_CREATED)


class GroupConfirmView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(summary="Confirm every pending proposal on the group's questions (admins)", tags=TAGS,
                   request=None, responses={200: s.ConfirmOutSerializer, **ERRORS})
    def post(self, request, pk):
        result = services.group_proposals_confirm(group=_group(request, pk), actor=request.user)
        return Response(s.ConfirmOutSerializer({
            "confirmed": result.confirmed,
            "failed": [{"proposal": p.pk, "reason": reason} for p, reason in result.failed],
        }).data)
