import { Background, Character } from "./character.entity";
import { CmsConfigVersion } from "./cms.entity";
import { EmailToken, OutboxEmail, PreverifiedEmail } from "./email.entity";
import { DmReadMarker, Message } from "./message.entity";
import { Payment, PointBalance, PointTransaction, Product } from "./payment.entity";
import { RefreshToken, RevokedToken, Session } from "./session.entity";
import { ExtractedCharacterRow, StoryExtractionJob, StoryGenerationJob } from "./story-job.entity";
import { Story, StoryComment, StoryLike } from "./story.entity";
import { User } from "./user.entity";
import { Interaction, InteractionAudit } from "./interaction.entity";
import { Site, SiteMember } from "./site.entity";

export { Background, Character, CmsConfigVersion, DmReadMarker, EmailToken, OutboxEmail, PreverifiedEmail, RefreshToken, RevokedToken, Session, User, Message };
export { Payment, PointBalance, PointTransaction, Product };
export { Story, StoryLike, StoryComment, StoryGenerationJob, StoryExtractionJob, ExtractedCharacterRow };

/** Every entity, one per line so that additions merge cleanly. */
export const entities = [
  User,
  Session,
  RefreshToken,
  RevokedToken,
  EmailToken,
  PreverifiedEmail,
  OutboxEmail,
  Background,
  Character,
  Message,
  DmReadMarker,
  Site,
  SiteMember,
  Interaction,
  InteractionAudit,
  CmsConfigVersion,
  Product,
  Payment,
  PointBalance,
  PointTransaction,
  Story,
  StoryLike,
  StoryComment,
  StoryGenerationJob,
  StoryExtractionJob,
  ExtractedCharacterRow,
];
